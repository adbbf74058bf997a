import { describe, expect, it } from 'vitest';
import { describeDevice } from '../src/devices/device-info.js';

const UA = {
  chromeMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  firefoxWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0',
  samsungAndroid: 'Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  playstation: 'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
  smartTv: 'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36',
};

describe('describeDevice', () => {
  it.each([
    [UA.chromeMac, { deviceName: 'Chrome 124 on macOS', deviceType: 'DESKTOP', os: 'macOS', browser: 'Chrome 124' }],
    [UA.safariIphone, { deviceName: 'Mobile Safari on iPhone', deviceType: 'MOBILE', os: 'iOS 17.4', browser: 'Mobile Safari' }],
    [UA.firefoxWindows, { deviceName: 'Firefox 126 on Windows', deviceType: 'DESKTOP', os: 'Windows 10', browser: 'Firefox 126' }],
    [UA.samsungAndroid, { deviceName: 'Samsung Internet on SM-S911B', deviceType: 'MOBILE', os: 'Android 14', browser: 'Samsung Internet 24' }],
    [UA.ipad, { deviceName: 'Mobile Safari on iPad', deviceType: 'TABLET', os: 'iOS 17.4' }],
    [UA.googlebot, { deviceType: 'BOT' }],
    [UA.playstation, { deviceType: 'CONSOLE' }],
    [UA.smartTv, { deviceType: 'TV' }],
  ])('reads %s', (userAgent, expected) => {
    expect(describeDevice(undefined, userAgent, undefined)).toMatchObject(expected);
  });

  it('lets the client-given name, OS and browser win over the User-Agent', () => {
    const device = describeDevice({ deviceName: "Ada's laptop", os: 'Arch Linux', browser: 'Brave 1.66' }, UA.chromeMac, undefined);
    expect(device).toMatchObject({ deviceName: "Ada's laptop", os: 'Arch Linux', browser: 'Brave 1.66', deviceType: 'DESKTOP' });
  });

  it('builds the label from client-given OS and browser when no name is given', () => {
    expect(describeDevice({ os: 'Linux', browser: 'Chrome 124' }, undefined, undefined).deviceName).toBe('Chrome 124 on Linux');
  });

  it('calls a device with nothing to go on "Unknown device"', () => {
    expect(describeDevice(undefined, undefined, undefined)).toMatchObject({ deviceName: 'Unknown device', deviceType: 'UNKNOWN', userAgent: null });
    expect(describeDevice(undefined, 'curl/8.5.0', undefined)).toMatchObject({ deviceName: 'Unknown device', userAgent: 'curl/8.5.0' });
  });

  it('takes the device id from input first, then from the X-Device-Id header', () => {
    expect(describeDevice({ deviceId: 'from-input' }, undefined, 'from-header').deviceId).toBe('from-input');
    expect(describeDevice({}, undefined, 'from-header').deviceId).toBe('from-header');
  });

  it('keeps hardware figures from input only', () => {
    expect(describeDevice({ cpuCores: 8, ramGb: 16, internetSpeedMbps: 45.2 }, UA.chromeMac, undefined)).toMatchObject({ cpuCores: 8, ramGb: 16, internetSpeedMbps: 45.2 });
    expect(describeDevice(undefined, UA.chromeMac, undefined)).toMatchObject({ cpuCores: null, ramGb: null, internetSpeedMbps: null });
  });
});
