// Falco's syslog_output (outputs_syslog.cpp: syslog(3) with the alert's priority, no openlog, so
// facility LOG_USER and the program name as tag): each alert one datagram on /dev/log (or the
// configured socket), in the format glibc's syslog(3) writes there (RFC 3164):
//   <PRI>Mmm dd hh:mm:ss TAG: MESSAGE
// with PRI = facility * 8 + severity (Falco's priorities are syslog's severities: Emergency 0 ..
// Debug 7), the local time, no hostname (the syslog daemon adds it) and no trailing newline.
// Unlike syslog(3), which drops a message the daemon cannot take, a full or absent socket is
// retried with backoff while the alert is queued.
import { DeliveryError, QueuedOutput, type QueuedOutputOptions } from './alert-output.js';
import { PRIORITIES } from '../engine/rule.js';
import type { Alert } from '../engine/alert.js';
import { ERRNO, unixDgram } from './unix-datagram.js';
import { OutputSetupError } from './tls-files.js';

export interface SyslogOutputConfig {
  /** The syslog daemon's datagram socket. */
  socket: string;
  /** Facility name (user, daemon, local0..local7, ...). */
  facility: string;
  /** The tag before the colon (syslog(3)'s ident; Falco's is its program name, "falco"). */
  ident: string;
}

export const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime "%h %e %T" in local time, as glibc's syslog(3). */
export function syslogTimestamp(d: Date): string {
  const two = (n: number) => (n < 10 ? '0' : '') + n;
  const day = d.getDate();
  return `${MONTHS[d.getMonth()]} ${day < 10 ? ' ' : ''}${day} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The line the output sends for one alert. */
export function syslogMessage(severity: number, facility: number, ident: string, text: string, now: Date): string {
  return `<${facility * 8 + severity}>${syslogTimestamp(now)} ${ident}: ${text}`;
}

export class SyslogOutput extends QueuedOutput {
  private fd = -1;
  private readonly facility: number;
  private readonly addon;

  constructor(
    opts: QueuedOutputOptions,
    private readonly cfg: SyslogOutputConfig,
  ) {
    super('syslog', opts);
    const addon = unixDgram();
    if (typeof addon === 'string') throw new OutputSetupError(`syslog_output: ${addon}`);
    this.addon = addon;
    const facility = FACILITIES[cfg.facility];
    if (facility === undefined) throw new OutputSetupError(`syslog_output.facility: unknown facility ${JSON.stringify(cfg.facility)}`);
    this.facility = facility;
  }

  /** The severity digit goes first in the queued line (deliver() takes it off). */
  protected override queuedLine(line: string, alert: Alert): string {
    return `${PRIORITIES.indexOf(alert.priority)}${line}`;
  }

  protected deliver(lines: string[]): Promise<void> {
    const now = new Date();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const msg = Buffer.from(syslogMessage(Number(line[0]), this.facility, this.cfg.ident, line.slice(1), now));
      const err = this.send(msg);
      if (err === 0) continue;
      if (err === -ERRNO.EMSGSIZE) return Promise.reject(new DeliveryError(`alert of ${msg.length} bytes is larger than ${this.cfg.socket} takes`, { delivered: i, permanent: true, reason: 'too-large' }));
      return Promise.reject(new DeliveryError(`${this.cfg.socket}: ${this.addon.errorText(err)}`, { delivered: i }));
    }
    return Promise.resolve();
  }

  /** Sends one datagram, (re)connecting first when needed; 0 or -errno. */
  private send(msg: Buffer): number {
    if (this.fd < 0) {
      const fd = this.addon.connect(this.cfg.socket);
      if (fd < 0) return fd;
      this.fd = fd;
    }
    const err = this.addon.send(this.fd, msg);
    if (err === -ERRNO.ECONNREFUSED || err === -ERRNO.ENOTCONN || err === -ERRNO.ENOENT) {
      // The daemon restarted (a new socket at the same path): connect again on the next attempt.
      this.addon.close(this.fd);
      this.fd = -1;
    }
    return err;
  }

  protected override async release(): Promise<void> {
    this.releaseNow();
  }

  protected override releaseNow(): void {
    if (this.fd >= 0) this.addon.close(this.fd);
    this.fd = -1;
  }
}
