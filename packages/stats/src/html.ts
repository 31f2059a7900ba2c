// The HTML statistics page (`stats enable` / `stats uri`) in the shape of HAProxy 2.6's:
// a head with the process figures, the colour legend and the display options, then one
// table per proxy (its frontend line, its servers, its backend line) with the column groups
// Queue / Session rate / Sessions / Bytes / Denied / Errors / Warnings / Server, and, when
// the page is in admin mode, a form per backend to act on the checked servers.
// The markup and the style sheet are this project's own; the colours and the layout are
// HAProxy's, so that operators read it the same way.

import { collectStats, type StatRow, type StatValue } from './collect.ts';
import { columnIndex } from './columns.ts';
import type { InfoValues } from './info.ts';
import type { StatsSource } from './source.ts';

/** Result banners after an admin action (`;st=<code>`), HAProxy's four-letter codes. */
export type StatsPageStatus = 'DONE' | 'NONE' | 'PART' | 'ERRP' | 'EXCD' | 'DENY' | 'IVAL' | 'UNKN';

export interface StatsPageOptions {
  /** `stats uri` (the links of the page start with it). */
  readonly uri: string;
  /** Product and version for the title line; undefined with `stats hide-version`. */
  readonly version?: string | undefined;
  /** The release date printed after the version. */
  readonly releaseDate?: string | undefined;
  /** Host name shown in the titles (`stats show-node`, default the system's). */
  readonly node: string;
  /** `stats show-desc` text (shown when set). */
  readonly description?: string | undefined;
  /** `stats show-legends`: addresses, ids, modes and balancing in the tooltips. */
  readonly legends?: boolean;
  /** `stats admin` granted this request: checkboxes and the action form. */
  readonly admin?: boolean;
  /** `;up`: servers that are DOWN are hidden. */
  readonly hideDown?: boolean;
  /** `;no-maint`. */
  readonly hideMaint?: boolean;
  /** `stats refresh` in seconds (0: none), and `;norefresh`. */
  readonly refresh?: number;
  readonly noRefresh?: boolean;
  /** The scope typed in the page's Scope field (`scope=<text>`): proxies whose name contains it. */
  readonly scopeText?: string | undefined;
  /** `stats scope` names: only these proxies (undefined: all). */
  readonly scopes?: readonly string[] | undefined;
  /** A banner for the result of the last admin action. */
  readonly status?: StatsPageStatus | undefined;
  /** Now in ms since the epoch. */
  readonly now?: number;
}

const C = (name: string) => columnIndex(name);
const I = {
  pxname: C('pxname'),
  svname: C('svname'),
  qcur: C('qcur'),
  qmax: C('qmax'),
  qlimit: C('qlimit'),
  rate: C('rate'),
  rateMax: C('rate_max'),
  rateLim: C('rate_lim'),
  scur: C('scur'),
  smax: C('smax'),
  slim: C('slim'),
  stot: C('stot'),
  lbtot: C('lbtot'),
  lastsess: C('lastsess'),
  bin: C('bin'),
  bout: C('bout'),
  dreq: C('dreq'),
  dresp: C('dresp'),
  ereq: C('ereq'),
  econ: C('econ'),
  eresp: C('eresp'),
  wretr: C('wretr'),
  wredis: C('wredis'),
  status: C('status'),
  lastchg: C('lastchg'),
  checkStatus: C('check_status'),
  checkCode: C('check_code'),
  checkDuration: C('check_duration'),
  checkDesc: C('check_desc'),
  weight: C('weight'),
  uweight: C('uweight'),
  act: C('act'),
  bck: C('bck'),
  chkfail: C('chkfail'),
  chkdown: C('chkdown'),
  downtime: C('downtime'),
  throttle: C('throttle'),
  addr: C('addr'),
  algo: C('algo'),
  mode: C('mode'),
  iid: C('iid'),
  sid: C('sid'),
  intercepted: C('intercepted'),
  reqTot: C('req_tot'),
};

const STYLE = `body{font-family:arial,helvetica,sans-serif;font-size:12px;color:black;background:white}
th,td{font-size:10px}
h1{font-size:x-large;margin-bottom:.5em}
h1 a{text-decoration:none}
h2{font-family:helvetica,arial;font-size:x-large;font-weight:bold;font-style:italic;color:#6020a0;margin:0}
h3{font-family:helvetica,arial;font-size:16px;font-weight:bold;color:#b00040;background:#e8e8d0;margin:0}
li{margin-top:.25em;margin-right:2em}
.hr{margin-top:.25em;border-color:black;border-bottom-style:solid}
.titre{background:#20d0d0;color:#000;font-weight:bold;text-align:center}
.total{background:#20d0d0;color:#ffff80}
.frontend,.backend{background:#e8e8d0}
.socket{background:#d0d0d0}
.active_down,.backup_down{background:#ff9090}
.active_going_up{background:#ffd020}
.active_going_down{background:#ffffa0}
.active_up{background:#c0ffc0}
.active_nolb,.active_draining{background:#20a0ff}
.active_no_check,.backup_no_check{background:#e0e0e0}
.backup_going_up{background:#ff80ff}
.backup_going_down{background:#c060ff}
.backup_up{background:#b0d0ff}
.backup_nolb{background:#90b0e0}
.backup_draining{background:#cc9900}
.maintain{background:#c07820}
.rls{letter-spacing:.2em;margin-right:1px}
a.px:link,a.px:visited{color:#ffff40;text-decoration:none}
a.px:hover{color:#fff;text-decoration:none}
a.lfsb:link,a.lfsb:visited{color:#000;text-decoration:none}
a.lfsb:hover{color:#505050;text-decoration:none}
table.tbl{border-collapse:collapse;border-style:none}
table.tbl td{text-align:right;border:1px solid gray;padding:2px 3px;white-space:nowrap}
table.tbl td.ac{text-align:center}
table.tbl th{border:1px solid gray}
table.tbl th.pxname{background:#b00040;color:#ffff40;font-weight:bold;border-style:solid solid none solid;padding:2px 3px;white-space:nowrap}
table.tbl th.empty{border-style:none;empty-cells:hide;background:white}
table.tbl th.desc{background:white;border-style:solid solid none solid;text-align:left;padding:2px 3px}
table.lgd{border-collapse:collapse;border-width:1px;border-style:none none none solid;border-color:black}
table.lgd td{border:1px solid gray;padding:2px}
table.lgd td.noborder{border-style:none;padding:2px;white-space:nowrap}
u{text-decoration:none;border-bottom:1px dotted black}
div.tips{display:block;visibility:hidden;z-index:2147483647;position:absolute;padding:2px 4px 3px;background:#f0f060;color:#000;border:1px solid #7040c0;white-space:nowrap;font-size:11px;border-radius:3px;box-shadow:gray 2px 2px 3px}
u:hover div.tips{visibility:visible}
@media (prefers-color-scheme:dark){
body{color:#e8e6e3;background:#131516}
h2{color:#a265e0}
h3{color:#ff5190;background-color:#3e3e1f}
a{color:#3391ff}
.titre{background-color:#1aa6a6;color:#e8e6e3}
.frontend,.backend{background:#2f3437}
.socket,.active_no_check,.backup_no_check{background:#2a2d2f}
.active_down,.backup_down{background:#760000}
.active_going_up{background:#b99200}
.active_going_down{background:#6c6c00}
.active_up{background:#165900}
.active_nolb,.active_draining{background:#006ab9}
.backup_going_up{background:#7f007f}
.backup_going_down{background:#580092}
.backup_up{background:#2e3234}
.backup_nolb{background:#1e3c6a}
.backup_draining{background:#a37a00}
.maintain{background:#9a601a}
a.lfsb:link,a.lfsb:visited{color:#e8e6e3}
table.tbl th.empty,table.tbl th.desc{background:#181a1b}
table.tbl th.pxname{background-color:#8d0033;color:#ffff46}
}`;

const BANNERS: Record<StatsPageStatus, [string, string]> = {
  DONE: ['active_up', 'Action processed successfully.'],
  NONE: ['active_going_down', 'Nothing has changed.'],
  PART: [
    'active_going_down',
    'Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).',
  ],
  ERRP: [
    'active_down',
    'Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>',
  ],
  EXCD: [
    'active_down',
    "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>",
  ],
  DENY: ['active_down', '<b>Action denied.</b>'],
  IVAL: ['active_down', '<b>Invalid requests (unsupported method or chunked encoded request).</b>'],
  UNKN: ['active_no_check', 'Unexpected result.'],
};

/** The actions of the admin form, with their labels (values as HAProxy's page posts them). */
export const STATS_ADMIN_ACTIONS: readonly (readonly [string, string])[] = [
  ['ready', 'Set state to READY'],
  ['drain', 'Set state to DRAIN'],
  ['maint', 'Set state to MAINT'],
  ['dhlth', 'Health: disable checks'],
  ['ehlth', 'Health: enable checks'],
  ['hrunn', 'Health: force UP'],
  ['hnolb', 'Health: force NOLB'],
  ['hdown', 'Health: force DOWN'],
  ['dagent', 'Agent: disable checks'],
  ['eagent', 'Agent: enable checks'],
  ['arunn', 'Agent: force UP'],
  ['adown', 'Agent: force DOWN'],
  ['shutdown', 'Kill Sessions'],
];

/** Escapes text for HTML. */
export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** A duration in seconds as the page shows it: `12s`, `3m05s`, `2h07m`, `4d03h`. */
export function humanTime(sec: number): string {
  if (sec < 0 || !Number.isFinite(sec)) return '?';
  const s = Math.floor(sec);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor(s / 3600) % 24)}h`;
}

/** Large numbers with their thousands set apart, as the page does (`<span class="rls">1</span>085`). */
function big(v: StatValue): string {
  if (v === undefined) return '';
  if (typeof v !== 'number') return htmlEscape(v);
  let s = String(Math.trunc(v));
  if (s.length <= 3) return s;
  let out = '';
  while (s.length > 3) {
    out = `${s.slice(-3)}${out}`;
    s = s.slice(0, -3);
    out = `<span class="rls">${s.slice(-3)}</span>${out}`;
    s = s.slice(0, -3);
  }
  return s === '' ? out : `${s}${out}`;
}

const val = (r: StatRow, i: number): StatValue => r.values[i];
const n = (r: StatRow, i: number): number => {
  const v = r.values[i];
  return typeof v === 'number' ? v : 0;
};
const limit = (r: StatRow, i: number): string => {
  const v = r.values[i];
  return typeof v === 'number' && v > 0 ? big(v) : '-';
};
const td = (s: string) => `<td>${s}</td>`;
const tdc = (s: string) => `<td class=ac>${s}</td>`;
const tip = (text: string, tips: string) => `<u>${text}<div class=tips>${tips}</div></u>`;

/** The row class of a server: its colour. */
export function serverRowClass(status: string, backup: boolean): string {
  if (status.startsWith('MAINT')) return 'maintain';
  const side = backup ? 'backup_' : 'active_';
  if (status.startsWith('DRAIN')) return `${side}draining`;
  if (status === 'no check') return `${side}no_check`;
  if (status.startsWith('NOLB')) return `${side}nolb`;
  if (status.startsWith('UP ')) return `${side}going_down`;
  if (status.startsWith('DOWN ') && /\d+\/\d+/.test(status)) return `${side}going_up`;
  if (status.startsWith('UP')) return `${side}up`;
  return `${side}down`;
}

function header(o: StatsPageOptions, info: InfoValues, now: number): string {
  const node = htmlEscape(o.node);
  const pid = info['Pid'] ?? process.pid;
  const uptimeSec = typeof info['Uptime_sec'] === 'number' ? info['Uptime_sec'] : 0;
  const days = Math.floor(uptimeSec / 86400);
  const hh = Math.floor(uptimeSec / 3600) % 24;
  const mm = String(Math.floor(uptimeSec / 60) % 60).padStart(2, '0');
  const ss = String(uptimeSec % 60).padStart(2, '0');
  const u = htmlEscape(o.uri);
  const flags = `${o.hideDown ? ';up' : ''}${o.noRefresh ? ';norefresh' : ''}`;
  const scopeArg = o.scopeText ? `;scope=${htmlEscape(o.scopeText)}` : '';
  let h = '<!DOCTYPE html>\n<html><head>';
  h += `<title>Statistics Report for HAProxy on ${node}</title>\n`;
  h +=
    '<link rel="icon" href="data:,">\n<meta http-equiv="content-type" content="text/html; charset=utf-8">\n';
  h += `<style type="text/css">\n${STYLE}\n</style></head>\n<body>`;
  const title =
    o.version !== undefined
      ? `HAProxy version ${htmlEscape(o.version)}${o.releaseDate ? `, released ${htmlEscape(o.releaseDate)}` : ''}`
      : 'HAProxy';
  h += `<h1><a href="http://www.haproxy.org/">${title}</a></h1>\n`;
  h += `<h2>Statistics Report for pid ${pid}${o.node ? ` on ${node}` : ''}</h2>\n`;
  h += '<hr width="100%" class="hr">\n<h3>&gt; General process information</h3>\n';
  h += '<table border=0><tr><td align="left" nowrap width="1%">\n';
  h += `<p><b>pid = </b> ${pid} (process #1, nbproc = 1, nbthread = ${info['Nbthread'] ?? 1})<br>\n`;
  h += `<b>uptime = </b> ${days}d ${hh}h${mm}m${ss}s<br>\n`;
  h += `<b>system limits:</b> memmax = unlimited; ulimit-n = ${info['Ulimit-n'] ?? 0}<br>\n`;
  h += `<b>maxsock = </b> ${info['Maxsock'] ?? 0}; <b>maxconn = </b> ${info['Maxconn'] ?? 0}; <b>maxpipes = </b> ${info['Maxpipes'] ?? 0}<br>\n`;
  h += `current conns = ${info['CurrConns'] ?? 0}; current pipes = 0/0; conn rate = ${info['ConnRate'] ?? 0}/sec<br>\n`;
  h += `Running tasks: ${info['Run_queue'] ?? 0}/${info['Tasks'] ?? 0}; idle = ${info['Idle_pct'] ?? 100} %<br>\n`;
  if (o.description) h += `<b>description = </b>${htmlEscape(o.description)}<br>\n`;
  h += '</td><td align="center" nowrap>\n<table class="lgd"><tr>\n';
  h +=
    '<td class="active_up">&nbsp;</td><td class="noborder">active UP </td><td class="backup_up">&nbsp;</td><td class="noborder">backup UP </td></tr><tr>\n' +
    '<td class="active_going_down"></td><td class="noborder">active UP, going down </td><td class="backup_going_down"></td><td class="noborder">backup UP, going down </td></tr><tr>\n' +
    '<td class="active_going_up"></td><td class="noborder">active DOWN, going up </td><td class="backup_going_up"></td><td class="noborder">backup DOWN, going up </td></tr><tr>\n' +
    '<td class="active_down"></td><td class="noborder">active or backup DOWN &nbsp;</td><td class="active_no_check"></td><td class="noborder">not checked </td></tr><tr>\n' +
    '<td class="maintain"></td><td class="noborder" colspan="3">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>\n' +
    '<td class="active_draining"></td><td class="noborder" colspan="3">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>\n';
  h += 'Note: "NOLB"/"DRAIN" = UP with load-balancing disabled.</td>';
  h +=
    '<td align="left" valign="top" nowrap width="1%"><b>Display option:</b><ul style="margin-top: 0.25em;">';
  if (o.scopes === undefined || o.scopes.length === 0)
    h += `<li><form method="GET">Scope : <input value="${htmlEscape(o.scopeText ?? '')}" name="scope" size="8" maxlength="20" tabindex="1"/></form>\n`;
  h += o.hideDown
    ? `<li><a href="${u}${o.noRefresh ? ';norefresh' : ''}${scopeArg}">Show all servers</a><br>\n`
    : `<li><a href="${u};up${o.noRefresh ? ';norefresh' : ''}${scopeArg}">Hide 'DOWN' servers</a><br>\n`;
  if (o.refresh !== undefined && o.refresh > 0)
    h += o.noRefresh
      ? `<li><a href="${u}${o.hideDown ? ';up' : ''}${scopeArg}">Enable refresh</a><br>\n`
      : `<li><a href="${u}${o.hideDown ? ';up' : ''};norefresh${scopeArg}">Disable refresh</a><br>\n`;
  h += `<li><a href="${u}${flags}${scopeArg}">Refresh now</a><br>\n`;
  h += `<li><a href="${u};csv;norefresh">CSV export</a><br>\n`;
  h += `<li><a href="${u};json;norefresh">JSON export</a><br>\n`;
  h +=
    '</ul></td><td align="left" valign="top" nowrap width="1%"><b>External resources:</b><ul style="margin-top: 0.25em;">\n';
  h += '<li><a href="http://www.haproxy.org/">Primary site</a><br>\n';
  h += '<li><a href="http://www.haproxy.org/#docs">Online manual</a><br>\n';
  h += '</ul></td></tr></table>\n';
  if (o.status !== undefined) {
    const [cls, text] = BANNERS[o.status];
    h += `<p><div class=${cls}><a class=lfsb href="${u}${flags}${scopeArg}" title="Remove this message">[X]</a> ${text}</div>\n`;
  }
  h += '<p>\n';
  void now;
  return h;
}

const GROUPS =
  '<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n';
const SUBHEADS = [
  'Cur',
  'Max',
  'Limit',
  'Cur',
  'Max',
  'Limit',
  'Cur',
  'Max',
  'Limit',
  'Total',
  'LbTot',
  'Last',
  'In',
  'Out',
  'Req',
  'Resp',
  'Req',
  'Conn',
  'Resp',
  'Retr',
  'Redis',
  'Status',
  'LastChk',
  'Wght',
  'Act',
  'Bck',
  'Chk',
  'Dwn',
  'Dwntme',
  'Thrtle',
]
  .map((t) => `<th>${t}</th>`)
  .join('');

function frontendRow(r: StatRow, name: string, admin: boolean, legends: boolean): string {
  const sessTip = `<table class=det><tr><th>Cum. HTTP requests:</th><td>${n(r, I.reqTot)}</td></tr><tr><th>Intercepted requests:</th><td>${n(r, I.intercepted)}</td></tr></table>`;
  const label = legends
    ? tip(
        `<a class=lfsb href="#${name}/Frontend">Frontend</a>`,
        `mode: ${htmlEscape(String(val(r, I.mode) ?? ''))}`,
      )
    : `<a class=lfsb href="#${name}/Frontend">Frontend</a>`;
  return (
    `<tr class="frontend">${admin ? '<td></td>' : '<td></td>'}<td class=ac><a name="${name}/Frontend"></a>${label}</td>` +
    '<td colspan=3></td>' +
    td(big(val(r, I.rate))) +
    td(big(val(r, I.rateMax))) +
    td(limit(r, I.rateLim)) +
    td(big(val(r, I.scur))) +
    td(big(val(r, I.smax))) +
    td(limit(r, I.slim)) +
    td(tip(big(val(r, I.stot)), sessTip)) +
    td('') +
    td('') +
    td(big(val(r, I.bin))) +
    td(big(val(r, I.bout))) +
    td(big(val(r, I.dreq))) +
    td(big(val(r, I.dresp))) +
    td(big(val(r, I.ereq))) +
    td('') +
    td('') +
    td('') +
    td('') +
    tdc(htmlEscape(String(val(r, I.status) ?? ''))) +
    td('&nbsp;') +
    td('') +
    td('') +
    td('') +
    td('') +
    td('') +
    td('') +
    td('') +
    '</tr>\n'
  );
}

function checkCell(r: StatRow): string {
  const st = val(r, I.checkStatus);
  if (st === undefined || st === '') return tdc('&nbsp;');
  const code = val(r, I.checkCode);
  const dur = val(r, I.checkDuration);
  let text = ` ${htmlEscape(String(st))}`;
  if (code !== undefined && code !== '') text += `/${code}`;
  if (typeof dur === 'number' && dur >= 0) text += ` in ${dur}ms`;
  const desc = val(r, I.checkDesc);
  return tdc(desc ? tip(text, htmlEscape(String(desc))) : text);
}

function serverRow(r: StatRow, px: string, admin: boolean, legends: boolean, nowSec: number): string {
  const name = htmlEscape(String(val(r, I.svname) ?? ''));
  const status = String(val(r, I.status) ?? '');
  const backup = n(r, I.bck) > 0;
  const cls = serverRowClass(status, backup);
  const addr = val(r, I.addr);
  const legend = legends ? `${addr ? `${htmlEscape(String(addr))}, ` : ''}id: ${n(r, I.sid)}` : '';
  const label = legend
    ? tip(`<a class=lfsb href="#${px}/${name}">${name}</a>`, legend)
    : `<a class=lfsb href="#${px}/${name}">${name}</a>`;
  const last = val(r, I.lastsess);
  const lastchg = val(r, I.lastchg);
  const checked = val(r, I.checkStatus) !== undefined && val(r, I.checkStatus) !== '';
  const statusText = `${typeof lastchg === 'number' ? `${humanTime(lastchg)} ` : ''}${htmlEscape(status)}`;
  const chkfail = val(r, I.chkfail);
  const throttle = val(r, I.throttle);
  void nowSec;
  return (
    `<tr class="${cls}">` +
    (admin
      ? `<td><input class='${px}-checkbox' type="checkbox" name="s" value="${name}"></td>`
      : '<td></td>') +
    `<td class=ac><a name="${px}/${name}"></a>${label}</td>` +
    td(big(val(r, I.qcur))) +
    td(big(val(r, I.qmax))) +
    td(limit(r, I.qlimit)) +
    td(big(val(r, I.rate))) +
    td(big(val(r, I.rateMax))) +
    td('') +
    td(big(val(r, I.scur))) +
    td(big(val(r, I.smax))) +
    td(limit(r, I.slim)) +
    td(big(val(r, I.stot))) +
    td(big(val(r, I.lbtot))) +
    td(typeof last === 'number' && last >= 0 ? humanTime(last) : '?') +
    td(big(val(r, I.bin))) +
    td(big(val(r, I.bout))) +
    td('') +
    td(big(val(r, I.dresp))) +
    td('') +
    td(big(val(r, I.econ))) +
    td(big(val(r, I.eresp))) +
    td(big(val(r, I.wretr))) +
    td(big(val(r, I.wredis))) +
    tdc(statusText) +
    checkCell(r) +
    tdc(`${big(val(r, I.weight))}/${big(val(r, I.uweight))}`) +
    tdc(backup ? '-' : 'Y') +
    tdc(backup ? 'Y' : '-') +
    (checked ? td(tip(big(chkfail), 'Failed Health Checks')) : tdc('&nbsp;')) +
    td(checked ? big(val(r, I.chkdown)) : '0') +
    td(checked ? humanTime(n(r, I.downtime)) : '&nbsp;') +
    tdc(typeof throttle === 'number' ? `${throttle} %` : '-') +
    '</tr>\n'
  );
}

function backendRow(r: StatRow, px: string, legends: boolean): string {
  const status = String(val(r, I.status) ?? '');
  const lastchg = val(r, I.lastchg);
  const shown = status === 'DOWN' ? '<font color="red"><b>DOWN</b></font>' : htmlEscape(status);
  const algo = val(r, I.algo);
  const label = `<a class=lfsb href="#${px}/Backend">Backend</a>`;
  const last = val(r, I.lastsess);
  return (
    `<tr class="backend"><td></td><td class=ac><a name="${px}/Backend"></a>${legends && algo ? tip(label, `balancing: ${htmlEscape(String(algo))}`) : label}</td>` +
    td(big(val(r, I.qcur))) +
    td(big(val(r, I.qmax))) +
    td('') +
    td(big(val(r, I.rate))) +
    td(big(val(r, I.rateMax))) +
    td('') +
    td(big(val(r, I.scur))) +
    td(big(val(r, I.smax))) +
    td(big(val(r, I.slim))) +
    td(big(val(r, I.stot))) +
    td(big(val(r, I.lbtot))) +
    td(typeof last === 'number' && last >= 0 ? humanTime(last) : '?') +
    td(big(val(r, I.bin))) +
    td(big(val(r, I.bout))) +
    td(big(val(r, I.dreq))) +
    td(big(val(r, I.dresp))) +
    td('') +
    td(big(val(r, I.econ))) +
    td(big(val(r, I.eresp))) +
    td(big(val(r, I.wretr))) +
    td(big(val(r, I.wredis))) +
    tdc(`${typeof lastchg === 'number' ? `${humanTime(lastchg)} ` : ''}${shown}`) +
    tdc('&nbsp;') +
    tdc(`${big(val(r, I.weight))}/${big(val(r, I.uweight))}`) +
    tdc(big(val(r, I.act))) +
    tdc(big(val(r, I.bck))) +
    tdc('&nbsp;') +
    td(big(val(r, I.chkdown))) +
    td(typeof val(r, I.downtime) === 'number' ? humanTime(n(r, I.downtime)) : '&nbsp;') +
    td('') +
    '</tr>\n'
  );
}

/** Whether a proxy is on the page: `stats scope` names, then the Scope field's text. */
function inScope(name: string, o: StatsPageOptions): boolean {
  if (o.scopes !== undefined && o.scopes.length > 0 && !o.scopes.includes(name)) return false;
  if (o.scopeText && !name.includes(o.scopeText)) return false;
  return true;
}

/** The whole HTML page. */
export function renderStatsPage(source: StatsSource, o: StatsPageOptions): string {
  const now = o.now ?? Date.now();
  const rows = collectStats(source, {
    legends: o.legends === true,
    hideDown: o.hideDown === true,
    hideMaint: o.hideMaint === true,
    now,
  });
  const byProxy = new Map<number, StatRow[]>();
  for (const r of rows) {
    let list = byProxy.get(r.iid);
    if (list === undefined) {
      list = [];
      byProxy.set(r.iid, list);
    }
    list.push(r);
  }
  let h = header(o, source.info(), now);
  const admin = o.admin === true;
  for (const px of source.proxies()) {
    if (!inScope(px.name, o)) continue;
    const list = byProxy.get(px.id);
    if (list === undefined) continue;
    const name = htmlEscape(px.name);
    const form = admin && px.backend !== undefined && (px.servers?.length ?? 0) > 0;
    const caps =
      px.frontend !== undefined && px.backend !== undefined ? 'proxy' : px.frontend ? 'frontend' : 'backend';
    const pxTip = `cap: ${caps}, mode: ${px.mode}, id: ${px.id}`;
    if (form) h += '<form method="post">';
    h += '<table class="tbl" width="100%">\n';
    h += `<tr class="titre"><th class="pxname" width="10%"><a name="${name}"></a>${o.legends ? tip(`<a class=px href="#${name}">${name}</a>`, pxTip) : `<a class=px href="#${name}">${name}</a>`}</th><th class="empty" width="90%"></th></tr>\n`;
    h += '</table>\n<table class="tbl" width="100%">\n';
    h += form
      ? `<tr class="titre"><th rowspan=2 width=1><input type="checkbox" onclick="for (const c of document.getElementsByClassName('${name}-checkbox')) c.checked = this.checked"></th><th rowspan=2></th>`
      : '<tr class="titre"><th rowspan=2></th><th rowspan=2></th>';
    h += GROUPS;
    h += `<tr class="titre">${SUBHEADS}</tr>\n`;
    for (const r of list) {
      if (r.kind === 'frontend') h += frontendRow(r, name, form, o.legends === true);
      else if (r.kind === 'server') h += serverRow(r, name, form, o.legends === true, Math.floor(now / 1000));
      else if (r.kind === 'backend') h += backendRow(r, name, o.legends === true);
    }
    h += '</table>';
    if (form) {
      h +=
        'Choose the action to perform on the checked servers : <select name=action><option value=""></option>';
      for (const [v, label] of STATS_ADMIN_ACTIONS) h += `<option value="${v}">${label}</option>`;
      h += `</select><input type="hidden" name="b" value="#${px.id}">&nbsp;<input type="submit" value="Apply"></form>`;
    }
    h += '<p>\n';
  }
  h += '</body></html>\n';
  return h;
}
