// The merchant's GET /onboarding view, shared by the screens that show it: read it again after any
// change, and every subscriber redraws from the server's answer.
import { api } from './api.js';

export async function loadOnboarding() {
  return createOnboardingSource(await api('GET', '/onboarding'));
}

/** Signals from other workflows (catalog activated, 稼働 set) reach GET /onboarding a moment after the action. */
const CATCH_UP = { pollMs: 250, maxMs: 5000 };

export function createOnboardingSource(view) {
  const listeners = new Set();
  const source = {
    view,
    async refresh() {
      source.view = await api('GET', '/onboarding');
      for (const listener of listeners) listener(source.view);
      return source.view;
    },
    subscribe(listener) {
      listeners.add(listener);
    },
    /** Re-reads until `done(view)` or the time is up; resolves with the last view either way. */
    async refreshUntil(done) {
      const deadline = Date.now() + CATCH_UP.maxMs;
      for (;;) {
        const latest = await source.refresh();
        if (done(latest) || Date.now() > deadline) return latest;
        await new Promise((resolve) => setTimeout(resolve, CATCH_UP.pollMs));
      }
    },
  };
  return source;
}
