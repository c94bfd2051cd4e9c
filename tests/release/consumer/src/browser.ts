// The application in a browser: the page's host serves it, forwards Graph's and the token endpoint's paths to the
// simulator, and hands it the notifications its endpoint received. The result lands on `window.inviteFlow`.
import { clientCredentials, inviteAndWait } from "./flow.js";

interface BrowserSettings {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly callId: string;
  readonly userId: string;
}

declare global {
  interface Window {
    inviteSettings: BrowserSettings;
    nextNotification: () => Promise<string>;
    inviteFlow?: { report?: unknown; failure?: string };
  }
}

const settings = window.inviteSettings;
inviteAndWait({
  graphUrl: `${location.origin}/v1.0`,
  credential: clientCredentials(settings.tokenUrl, settings.clientId, settings.clientSecret),
  callId: settings.callId,
  userId: settings.userId,
  nextNotification: () => window.nextNotification(),
}).then(
  (report) => {
    window.inviteFlow = { report: { ...report, userAgent: navigator.userAgent } };
  },
  (error: unknown) => {
    window.inviteFlow = { failure: String(error) };
  },
);
