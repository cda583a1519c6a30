import { selectBackend } from '@cdg/backend';
import type { BackendPreference } from '@cdg/backend';

/** Activates a tfjs backend through @cdg/backend (which logs its choice and why); returns the name in use. */
export async function activateBackend(pref: string): Promise<string> {
  return selectBackend(pref as BackendPreference);
}
