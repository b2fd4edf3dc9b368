/** The page shell every page shares: head, header with navigation and the live-update status, main. */
import { html, type Html } from "../html";

export interface PageContext {
  /** The session's CSRF token, sent back on every write. */
  readonly csrf: string;
  /** How other admins see this browser. */
  readonly sessionName: string;
  /** The directory the UI serves, as shown to the user. */
  readonly directory: string;
}

export function page(title: string, context: PageContext, body: Html, extra: { readonly cluster?: string } = {}): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="k2-csrf" content="${context.csrf}">
<meta name="k2-session-name" content="${context.sessionName}">
${extra.cluster === undefined ? "" : html`<meta name="k2-cluster" content="${extra.cluster}">`}
<title>${title} · k2 ui</title>
<link rel="stylesheet" href="/assets/style.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">k2 ui</a>
  <nav aria-label="Main"><a href="/">Fleet</a></nav>
  <span class="live" id="live" role="status" aria-live="polite" data-state="connecting">connecting…</span>
</header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>
`;
}
