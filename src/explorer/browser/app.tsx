import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import { createFetcher } from './fetcher.js';
import 'graphiql/style.css';
import './app.css';

const DEFAULT_QUERY = `# 1. Run SignUp, or Login once you have an
#    account; copy its accessToken.
# 2. In Headers, below, put
#    { "Authorization": "Bearer <accessToken>" }
# 3. Run MySessions: this browser, isCurrent true.
# 4. Run SessionRevoked, then Logout in another
#    tab (same header): the event appears here.
# Ctrl+Enter runs the operation under the cursor.

mutation SignUp {
  signUp(input: {
    email: "you@example.com"
    password: "correct horse battery staple"
  }) {
    accessToken
    session { id deviceName }
  }
}

mutation Login {
  login(input: {
    email: "you@example.com"
    password: "correct horse battery staple"
  }) {
    accessToken
    isNewDevice
    session { id deviceName }
  }
}

query MySessions {
  mySessions {
    id deviceName browser os ipAddress isCurrent
  }
}

mutation Logout {
  logout
}

subscription SessionRevoked {
  sessionRevoked { sessionId reason revokedAt }
}
`;

// The page is served at the GraphQL endpoint itself, so its own URL is the endpoint: this works
// on any host and port, and behind a proxy that serves the API under a path prefix.
const endpoint = new URL(window.location.pathname, window.location.href);

const container = document.getElementById('graphiql');
if (container) createRoot(container).render(<GraphiQL fetcher={createFetcher(endpoint)} defaultQuery={DEFAULT_QUERY} />);
