// The merchant's GET /onboarding view, shared by the screens that show it: read it again after any
// change, and every subscriber redraws from the server's answer.
import { api } from './api.js';

export async function loadOnboarding() {
  return createOnboardingSource(await api('GET', '/onboarding'));
}

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
  };
  return source;
}
