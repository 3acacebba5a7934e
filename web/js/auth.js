// Token auth, for apps that embed the widget behind their own sign-in (the
// server's PSOAS_JWT_SECRET): the app opens the widget as /coach/#token=<JWT>.
// The token is kept for this tab only (sessionStorage), taken out of the
// address bar at once, and sent with the socket.io connection (auth.token)
// and every voice request (Authorization: Bearer). Without one, nothing is sent.

const KEY = "psoas-coach.token";

function fromAddress() {
  const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const token = hash.get("token");
  if (!token) return null;
  hash.delete("token");
  const rest = hash.toString();
  const clean = window.location.pathname + window.location.search + (rest ? `#${rest}` : "");
  window.history.replaceState(null, "", clean);
  return token;
}

function remember(token) {
  try {
    window.sessionStorage.setItem(KEY, token);
  } catch {
    // private mode: the token still serves this page
  }
  return token;
}

function recalled() {
  try {
    return window.sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

const token = (() => {
  const given = fromAddress();
  return given ? remember(given) : recalled();
})();

export function authToken() {
  return token;
}

export function authHeaders() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}
