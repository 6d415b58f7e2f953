import { createSmtpMailer, type Mailer } from '../alerts/mailer';
import type { AppDeps } from './deps';

const fallback = new WeakMap<AppDeps['config'], Mailer>();

/** The injected mailer, else one nodemailer transport per configuration (pooled by nodemailer itself). */
export function mailerOf(deps: Pick<AppDeps, 'config' | 'mailer'>): Mailer {
  if (deps.mailer) return deps.mailer;
  let mailer = fallback.get(deps.config);
  if (!mailer) {
    mailer = createSmtpMailer(deps.config);
    fallback.set(deps.config, mailer);
  }
  return mailer;
}
