// Reads the mails the service sent through the test run's real Mailpit (its HTTP API).
import { eventually } from './platforms';

export interface Mail {
  id: string;
  subject: string;
  to: string[];
  text: string;
  /** When Mailpit received it (epoch ms). */
  receivedAt: number;
}

function apiUrl(): string {
  const url = process.env.MAILPIT_API_URL;
  if (!url) throw new Error('run the tests through `npm test` (it starts Mailpit and sets MAILPIT_API_URL)');
  return url;
}

interface SearchAnswer {
  messages: { ID: string; Subject: string; To: { Address: string }[]; Created: string }[];
}

/** Every mail sent to this address, oldest first. Addresses are unique per test, so files never see each other's mails. */
export async function mailsTo(address: string): Promise<Mail[]> {
  const res = await fetch(`${apiUrl()}/api/v1/search?limit=1000&query=${encodeURIComponent(`to:"${address}"`)}`);
  if (!res.ok) throw new Error(`Mailpit search: ${res.status} ${await res.text()}`);
  const { messages } = (await res.json()) as SearchAnswer;
  const mails: Mail[] = [];
  for (const m of [...messages].reverse()) {
    const full = (await (await fetch(`${apiUrl()}/api/v1/message/${m.ID}`)).json()) as { Text: string };
    mails.push({ id: m.ID, subject: m.Subject, to: m.To.map((t) => t.Address), text: full.Text, receivedAt: Date.parse(m.Created) });
  }
  return mails;
}

/** Waits until the address has at least `count` mails whose subject matches, and returns them. */
export async function waitForMails(address: string, subject: RegExp, count = 1, timeoutMs = 30_000): Promise<Mail[]> {
  return eventually(async () => {
    const found = (await mailsTo(address)).filter((m) => subject.test(m.subject));
    if (found.length < count) throw new Error(`${found.length} of ${count} mails matching ${subject} to ${address}`);
    return found;
  }, timeoutMs, 200);
}

/** The first URL in a mail's text. */
export function linkIn(mail: Mail): string {
  const match = /https?:\/\/\S+/.exec(mail.text);
  if (!match) throw new Error(`no link in mail "${mail.subject}"`);
  return match[0];
}
