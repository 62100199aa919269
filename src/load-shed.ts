/**
 * Load shedding (issue 19, item 3). Beyond its capacity a process used to queue every request, so latency
 * grew without bound and EHRs timed out; now, when too many CDS Hooks or feedback requests are being served
 * at once, when the event loop runs late, or when it is busy nearly all the time, a new one is answered at
 * once with 503 and `Retry-After`, before its token is checked or its body read. Discovery, /health and the
 * SMART app are never shed.
 *
 * Three bounds, because each misses what another sees. Requests in flight count those waiting on a FHIR
 * server. The event-loop delay is how late a 20 ms timer fires, smoothed over the last few checks (each check
 * weighs a third), so that one slow request does not shed the requests behind it while a loop that stays
 * late does; the lateness of the check still pending counts as a provisional sample. The event-loop
 * utilization (the share of time the loop spends running code rather than waiting for I/O) catches the
 * overload the other two miss: requests answered from prefetch are served one after another in a few
 * milliseconds each, so neither the number in flight nor the delay grows, while the queue grows in the
 * sockets the process has not read yet (measured: 1,200 req/s offered to a process that serves 800, 0 in
 * flight above 10, loop delay about 100 ms, client timeouts after 10 s). It is smoothed over time (time
 * constant 0.5 s, so that the burst of a cold start or one large request does not shed) and read up to the
 * moment of the request.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { LoadShedSettings } from './config';

const CHECK_EVERY_MS = 20;
const WEIGHT = 1 / 3;
const UTILIZATION_TAU_MS = 500;
const LOG_EVERY_MS = 10_000;
/** A shed request whose declared body is at most this many bytes is not told to close its connection. */
const SMALL_BODY_BYTES = 64 * 1024;

function smallBody(req: Parameters<RequestHandler>[0]): boolean {
  const length = req.headers['content-length'];
  if (length === undefined || req.headers['transfer-encoding'] !== undefined) return false;
  const n = Number(length);
  return Number.isInteger(n) && n >= 0 && n <= SMALL_BODY_BYTES;
}

/** Why a request was shed: the keys of the `shed` counts in /health and the log. */
export type ShedReason = 'inFlight' | 'eventLoopDelay' | 'eventLoopUtilization';
type ShedCounts = Record<ShedReason, number>;
const noneShed = (): ShedCounts => ({ inFlight: 0, eventLoopDelay: 0, eventLoopUtilization: 0 });

export interface LoadStatus {
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** The smoothed event-loop delay now, in ms (one decimal). */
  readonly eventLoopDelayMs: number;
  /** 0 when the event-loop delay bound is off. */
  readonly maxEventLoopDelayMs: number;
  /** The smoothed event-loop utilization now, 0 to 1 (three decimals). */
  readonly eventLoopUtilization: number;
  /** 0 when the utilization bound is off. */
  readonly maxEventLoopUtilization: number;
  /** Requests answered 503 since the process started, by reason. */
  readonly shed: Readonly<ShedCounts>;
}

export interface LoadShedderOptions {
  readonly settings: LoadShedSettings;
  readonly logger: Logger;
  /** Whether a browser origin may read the service's answers (CORS_ORIGINS): a shed answer carries the header too. */
  readonly corsAllowed: (origin: string | undefined) => boolean;
}

/** Measures how late and how busy the event loop runs; the timer starts with the first request and never keeps the process alive. */
class LoopLoad {
  private timer: NodeJS.Timeout | undefined;
  private expected = 0;
  private smoothedDelay = 0;
  private smoothedUtilization = 0;
  private last: EventLoopUtilization | undefined;

  start(): void {
    if (this.timer !== undefined) return;
    this.expected = performance.now() + CHECK_EVERY_MS;
    this.last = performance.eventLoopUtilization();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.smoothedDelay += WEIGHT * (Math.max(0, now - this.expected) - this.smoothedDelay);
      this.expected = now + CHECK_EVERY_MS;
      const current = performance.eventLoopUtilization();
      this.smoothedUtilization = this.withSince(current);
      this.last = current;
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** The smoothed delay, with the lateness of the pending check as a provisional sample when it is later. */
  delay(): number {
    if (this.timer === undefined) return 0;
    const pending = performance.now() - this.expected;
    return pending > this.smoothedDelay ? this.smoothedDelay + WEIGHT * (pending - this.smoothedDelay) : this.smoothedDelay;
  }

  /** The smoothed utilization, brought up to this moment. */
  utilization(): number {
    if (this.timer === undefined) return 0;
    return this.withSince(performance.eventLoopUtilization());
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
    this.smoothedDelay = 0;
    this.smoothedUtilization = 0;
  }

  /** The smoothed utilization with the stretch since the last check weighed by its length. */
  private withSince(current: EventLoopUtilization): number {
    if (this.last === undefined) return this.smoothedUtilization;
    const since = performance.eventLoopUtilization(current, this.last);
    const ms = since.idle + since.active;
    if (ms <= 0) return this.smoothedUtilization;
    const weight = 1 - Math.exp(-ms / UTILIZATION_TAU_MS);
    return this.smoothedUtilization + weight * (since.utilization - this.smoothedUtilization);
  }
}

const REASON_TEXT: Record<ShedReason, string> = { inFlight: 'too many requests in flight', eventLoopDelay: 'event loop delayed', eventLoopUtilization: 'event loop busy' };

export class LoadShedder {
  private readonly settings: LoadShedSettings;
  private readonly logger: Logger;
  private readonly corsAllowed: (origin: string | undefined) => boolean;
  private readonly loop = new LoopLoad();
  private inFlight = 0;
  private readonly total = noneShed();
  /** Shed since the last log line. */
  private unlogged = noneShed();
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
    if (this.settings.maxEventLoopDelayMs > 0 || this.settings.maxEventLoopUtilization > 0) this.loop.start();
    const reason = this.reasonToShed();
    if (reason !== undefined) {
      this.shed(reason, req, res);
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
      eventLoopDelayMs: Math.round(this.loop.delay() * 10) / 10,
      maxEventLoopDelayMs: this.settings.maxEventLoopDelayMs,
      eventLoopUtilization: Math.round(this.loop.utilization() * 1000) / 1000,
      maxEventLoopUtilization: this.settings.maxEventLoopUtilization,
      shed: { ...this.total },
    };
  }

  /** Stops the timers (tests, shutdown). */
  stop(): void {
    this.loop.stop();
    if (this.logTimer !== undefined) clearTimeout(this.logTimer);
    this.logTimer = undefined;
  }

  private reasonToShed(): ShedReason | undefined {
    if (this.inFlight >= this.settings.maxInFlight) return 'inFlight';
    if (this.settings.maxEventLoopDelayMs > 0 && this.loop.delay() > this.settings.maxEventLoopDelayMs) return 'eventLoopDelay';
    if (this.settings.maxEventLoopUtilization > 0 && this.loop.utilization() > this.settings.maxEventLoopUtilization) return 'eventLoopUtilization';
    return undefined;
  }

  private shed(reason: ShedReason, req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]): void {
    const origin = req.get('origin');
    this.total[reason] += 1;
    this.unlogged[reason] += 1;
    this.logSoon();
    const seconds = this.settings.retryAfterSeconds;
    const body = JSON.stringify({
      error: { status: 503, code: 'overloaded', message: `The service is overloaded (${REASON_TEXT[reason]}); retry after ${seconds} s` },
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'retry-after': String(seconds),
    };
    // A small body of known length is read and dropped by Node after the answer, and the service does not
    // ask to close the connection: a new connection per shed request would cost more than serving it. Any
    // other body is never read, and the connection is closed.
    if (!smallBody(req)) headers['connection'] = 'close';
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
    const shed = this.unlogged;
    if (shed.inFlight + shed.eventLoopDelay + shed.eventLoopUtilization === 0) return;
    this.unlogged = noneShed();
    this.logger.warn(
      { ...this.status(), shed, retryAfterSeconds: this.settings.retryAfterSeconds },
      'load shed',
    );
  }
}
