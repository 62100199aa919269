/**
 * Load shedding (issue 19, item 3). Beyond its capacity a process used to queue every request, so latency
 * grew without bound and EHRs timed out; now, when too many CDS Hooks or feedback requests are being served
 * at once, or when the event loop runs late, a new one is answered at once with 503 and `Retry-After`,
 * before its token is checked or its body read. Discovery, /health and the SMART app are never shed.
 *
 * The event-loop delay is how late a 20 ms timer fires, smoothed over the last few checks (each check
 * weighs a third), so that one slow request does not shed the requests behind it while a loop that stays
 * late does. The lateness of the check still pending counts as a provisional sample: a loop busy with a
 * long backlog is seen before its timer can fire.
 */
import { performance } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { LoadShedSettings } from './config';

const CHECK_EVERY_MS = 20;
const WEIGHT = 1 / 3;
const LOG_EVERY_MS = 10_000;

export type ShedReason = 'in-flight' | 'event-loop-delay';

export interface LoadStatus {
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** The smoothed event-loop delay now, in ms (one decimal). */
  readonly eventLoopDelayMs: number;
  /** 0 when the event-loop bound is off. */
  readonly maxEventLoopDelayMs: number;
  /** Requests answered 503 since the process started, by reason. */
  readonly shed: { readonly inFlight: number; readonly eventLoopDelay: number };
}

export interface LoadShedderOptions {
  readonly settings: LoadShedSettings;
  readonly logger: Logger;
  /** Whether a browser origin may read the service's answers (CORS_ORIGINS): a shed answer carries the header too. */
  readonly corsAllowed: (origin: string | undefined) => boolean;
}

/** Measures how late the event loop runs; the timer starts with the first request and never keeps the process alive. */
class LoopDelay {
  private timer: NodeJS.Timeout | undefined;
  private expected = 0;
  private smoothed = 0;

  start(): void {
    if (this.timer !== undefined) return;
    this.expected = performance.now() + CHECK_EVERY_MS;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.smoothed += WEIGHT * (Math.max(0, now - this.expected) - this.smoothed);
      this.expected = now + CHECK_EVERY_MS;
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** The smoothed delay, with the lateness of the pending check as a provisional sample when it is later. */
  now(): number {
    if (this.timer === undefined) return 0;
    const pending = performance.now() - this.expected;
    return pending > this.smoothed ? this.smoothed + WEIGHT * (pending - this.smoothed) : this.smoothed;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export class LoadShedder {
  private readonly settings: LoadShedSettings;
  private readonly logger: Logger;
  private readonly corsAllowed: (origin: string | undefined) => boolean;
  private readonly delay = new LoopDelay();
  private inFlight = 0;
  private readonly total = { inFlight: 0, eventLoopDelay: 0 };
  /** Shed since the last log line. */
  private readonly unlogged = { inFlight: 0, eventLoopDelay: 0 };
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private logTimer: NodeJS.Timeout | undefined;

  constructor(options: LoadShedderOptions) {
    this.settings = options.settings;
    this.logger = options.logger;
    this.corsAllowed = options.corsAllowed;
  }

  /** Mounted first, before the request log: a shed request costs no log line, token check or body parse. */
  readonly middleware: RequestHandler = (req, res, next) => {
    if (req.method !== 'POST' || !req.path.startsWith('/cds-services/')) return next();
    if (this.settings.maxEventLoopDelayMs > 0) this.delay.start();
    const reason = this.reasonToShed();
    if (reason !== undefined) {
      this.shed(reason, req.get('origin'), res);
      return;
    }
    this.inFlight += 1;
    res.once('close', () => {
      this.inFlight -= 1;
    });
    next();
  };

  status(): LoadStatus {
    return {
      inFlight: this.inFlight,
      maxInFlight: this.settings.maxInFlight,
      eventLoopDelayMs: Math.round(this.delay.now() * 10) / 10,
      maxEventLoopDelayMs: this.settings.maxEventLoopDelayMs,
      shed: { ...this.total },
    };
  }

  /** Stops the timers (tests, shutdown). */
  stop(): void {
    this.delay.stop();
    if (this.logTimer !== undefined) clearTimeout(this.logTimer);
    this.logTimer = undefined;
  }

  private reasonToShed(): ShedReason | undefined {
    if (this.inFlight >= this.settings.maxInFlight) return 'in-flight';
    if (this.settings.maxEventLoopDelayMs > 0 && this.delay.now() > this.settings.maxEventLoopDelayMs) return 'event-loop-delay';
    return undefined;
  }

  private shed(reason: ShedReason, origin: string | undefined, res: Parameters<RequestHandler>[1]): void {
    const key = reason === 'in-flight' ? 'inFlight' : 'eventLoopDelay';
    this.total[key] += 1;
    this.unlogged[key] += 1;
    this.logSoon();
    const seconds = this.settings.retryAfterSeconds;
    const body = JSON.stringify({
      error: { status: 503, code: 'overloaded', message: `The service is overloaded (${reason === 'in-flight' ? 'too many requests in flight' : 'event loop delayed'}); retry after ${seconds} s` },
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'retry-after': String(seconds),
      // The body is never read: the connection cannot be reused.
      connection: 'close',
    };
    if (origin !== undefined && this.corsAllowed(origin)) {
      headers['access-control-allow-origin'] = origin;
      headers['vary'] = 'Origin';
    }
    res.writeHead(503, headers);
    res.end(body);
  }

  /** One warn line at most every 10 s, with what was shed since the last one; the last window is logged too. */
  private logSoon(): void {
    const wait = this.lastLogAt + LOG_EVERY_MS - performance.now();
    if (wait <= 0) {
      this.log();
      return;
    }
    if (this.logTimer !== undefined) return;
    this.logTimer = setTimeout(() => {
      this.logTimer = undefined;
      this.log();
    }, wait);
    this.logTimer.unref();
  }

  private log(): void {
    this.lastLogAt = performance.now();
    const { inFlight, eventLoopDelay } = this.unlogged;
    if (inFlight + eventLoopDelay === 0) return;
    this.unlogged.inFlight = 0;
    this.unlogged.eventLoopDelay = 0;
    const s = this.status();
    this.logger.warn(
      { shed: { inFlight, eventLoopDelay }, inFlight: s.inFlight, maxInFlight: s.maxInFlight, eventLoopDelayMs: s.eventLoopDelayMs, maxEventLoopDelayMs: s.maxEventLoopDelayMs, retryAfterSeconds: this.settings.retryAfterSeconds },
      'load shed',
    );
  }
}
