import nodemailer from 'nodemailer';
import type { Config } from '../config';

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
}

/** Sends mail; resolves once the SMTP server accepted it. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** nodemailer over SMTP_URL (Mailpit in the embedded stack), from MAIL_FROM. */
export function createSmtpMailer(config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM'>): Mailer {
  const transport = nodemailer.createTransport(config.SMTP_URL);
  return {
    async send(mail) {
      if (mail.to.length === 0) return;
      await transport.sendMail({ from: config.MAIL_FROM, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}
