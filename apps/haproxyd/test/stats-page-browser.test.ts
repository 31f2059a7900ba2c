// The stats page in a real browser: headless Chromium (Debian's `chromium`) driven over the
// DevTools protocol with Node's own WebSocket. The page is loaded, a screenshot is kept in
// test-artifacts/stats-page.png, the DOM shows the server that is up and the one that is
// down in their colours, and an admin action submitted from the page's own form (a server's
// checkbox, "Set state to MAINT", Apply) puts that server in maintenance, as `show stat` on
// the stats socket then says.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, repoRoot } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, type Setup, start, statusOf, waitUntil } from './stats-harness.ts';

useTestkit();

const CHROMIUM = '/usr/bin/chromium';

/** A DevTools protocol session on one page. */
class Cdp {
  private readonly ws: WebSocket;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters: { method: string; resolve: () => void }[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as {
        id?: number;
        method?: string;
        result?: unknown;
        error?: { message: string };
      };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
        return;
      }
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i]!;
        if (w.method !== msg.method) continue;
        this.waiters.splice(i, 1);
        w.resolve();
      }
    });
  }

  static open(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => resolve(new Cdp(ws)));
      ws.addEventListener('error', () => reject(new Error(`cannot open ${url}`)));
    });
  }

  send<T = unknown>(method: string, params: object = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Resolves on the next event named `method` (registered before the action that causes it). */
  once(method: string, ms = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} within ${ms} ms`)), ms);
      this.waiters.push({
        method,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Runs an expression in the page and returns its JSON value. */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value: T }; exceptionDetails?: { text: string } }>(
      'Runtime.evaluate',
      {
        expression,
        returnByValue: true,
        awaitPromise: true,
      },
    );
    if (r.exceptionDetails) throw new Error(`page error: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  close(): void {
    this.ws.close();
  }
}

let browser: ChildProcess | undefined;
let profile: string | undefined;
let setup: Setup | undefined;

afterEach(async () => {
  if (browser?.pid !== undefined && browser.exitCode === null) {
    const gone = new Promise((r) => browser!.once('exit', r));
    // chromium's helpers are in its process group
    try {
      process.kill(-browser.pid, 'SIGKILL');
    } catch {
      browser.kill('SIGKILL');
    }
    await gone;
  }
  browser = undefined;
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  profile = undefined;
  await setup?.stop();
  setup = undefined;
});

/** Starts headless Chromium and returns a DevTools session on a new blank page. */
async function openBrowser(): Promise<Cdp> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (scripts/test.sh does)`);
  const [port] = (await freePorts(1)) as [number];
  profile = mkdtempSync(join(tmpdir(), 'hap-chromium-'));
  browser = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--window-size=1400,1000',
      `--user-data-dir=${profile}`,
      '--remote-debugging-address=127.0.0.1',
      `--remote-debugging-port=${port}`,
      'about:blank',
    ],
    { stdio: 'ignore', detached: true },
  );
  let target: { webSocketDebuggerUrl: string } | undefined;
  await waitUntil('chromium to open its DevTools port', async () => {
    const r = await fetch(`http://127.0.0.1:${port}/json/list`);
    const pages = (await r.json()) as { type: string; webSocketDebuggerUrl: string }[];
    target = pages.find((p) => p.type === 'page');
    return target !== undefined;
  });
  const cdp = await Cdp.open(target!.webSocketDebuggerUrl);
  await cdp.send('Page.enable');
  await cdp.send('Runtime.enable');
  return cdp;
}

async function load(cdp: Cdp, url: string): Promise<void> {
  const loaded = cdp.once('Page.loadEventFired');
  await cdp.send('Page.navigate', { url });
  await loaded;
}

interface RowView {
  cls: string;
  name: string;
  status: string;
}

/** The server rows of one proxy's table as the browser shows them. */
function rowsOf(cdp: Cdp, proxy: string): Promise<RowView[]> {
  return cdp.eval<RowView[]>(`(() => {
    const out = [];
    for (const a of document.querySelectorAll('a.lfsb')) {
      const href = a.getAttribute('href') ?? '';
      if (!href.startsWith('#${proxy}/') || href.endsWith('/Frontend') || href.endsWith('/Backend')) continue;
      const tr = a.closest('tr');
      const cells = tr.querySelectorAll(':scope > td');
      out.push({ cls: tr.className, name: a.textContent, status: cells[23].textContent });
    }
    return out;
  })()`);
}

describe('stats page in headless Chromium', () => {
  it('shows the states, keeps a screenshot, and sets a server to MAINT from the page', async () => {
    setup = await start('haproxyd', [
      'stats enable',
      'stats uri /stats',
      'stats admin if TRUE',
      'stats show-legends',
    ]);
    const cdp = await openBrowser();
    try {
      const url = `http://127.0.0.1:${setup.port}/stats`;
      await load(cdp, url);
      expect(await cdp.eval<string>('document.title')).toMatch(/^Statistics Report for HAProxy on /);

      const shot = await cdp.send<{ data: string }>('Page.captureScreenshot', {
        format: 'png',
        captureBeyondViewport: true,
      });
      const dir = join(repoRoot(), 'test-artifacts');
      mkdirSync(dir, { recursive: true });
      const png = Buffer.from(shot.data, 'base64');
      writeFileSync(join(dir, 'stats-page.png'), png);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');

      const app = await rowsOf(cdp, 'app');
      const gone = await rowsOf(cdp, 'gone');
      expect(app).toHaveLength(1);
      expect(app[0]).toMatchObject({ cls: 'active_up', name: 'web1' });
      expect(app[0]!.status).toMatch(/ UP$/);
      expect(gone[0]).toMatchObject({ cls: 'active_down', name: 'dead1' });
      expect(gone[0]!.status).toMatch(/ DOWN$/);
      // the colours the page's style sheet gives those classes
      const colours = await cdp.eval<string[]>(
        `['active_up', 'active_down'].map((c) => getComputedStyle(document.querySelector('tr.' + c)).backgroundColor)`,
      );
      expect(colours).toEqual(['rgb(192, 255, 192)', 'rgb(255, 144, 144)']);

      // the admin form of backend 'app': tick web1, choose "Set state to MAINT", Apply
      const navigated = cdp.once('Page.loadEventFired');
      const picked = await cdp.eval<string>(`(() => {
        const box = document.querySelector('input.app-checkbox[value="web1"]');
        box.click();
        const form = box.closest('form');
        const select = form.querySelector('select[name=action]');
        const option = [...select.options].find((o) => o.textContent === 'Set state to MAINT');
        select.value = option.value;
        form.querySelector('input[type=submit][value=Apply]').click();
        return option.value;
      })()`);
      expect(picked).toBe('maint');
      await navigated;
      // HAProxy's answer: a redirect to the page with the result's banner
      expect(await cdp.eval<string>('location.href')).toBe(`${url};st=DONE`);
      expect(await cdp.eval<string>(`document.querySelector('div.active_up')?.textContent ?? ''`)).toContain(
        'Action processed successfully.',
      );
      expect(statusOf(await cli(setup.sock, 'show stat'), 'app', 'web1')).toBe('MAINT');
      const after = await rowsOf(cdp, 'app');
      expect(after[0]).toMatchObject({ cls: 'maintain', name: 'web1' });
      expect(after[0]!.status).toMatch(/MAINT$/);
    } finally {
      cdp.close();
    }
  });
});
