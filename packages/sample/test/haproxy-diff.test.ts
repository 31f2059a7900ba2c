// Differential test: the real HAProxy 2.6 and @hap/sample evaluate the same expressions,
// log-format strings and conditions on the same requests and responses.
//
// One haproxy process, two sections. `listen l` answers every request itself with
// `http-request return … lf-string` whose body is every log-format case, one per line
// (HAProxy %-encodes control characters coming from samples, so a sample never adds a
// line). Before that, each condition case sets `txn.aN` when it holds, and the body shows
// those variables too. `listen r` forwards to a raw backend whose canned responses
// exercise the response fetches, and answers with `http-response return` the same way.
// Our side builds the SampleEnv of the same request (client address and port as the
// socket saw them) and renders the same cases; the bodies must be equal, case by case.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStickTable, StickTable, trackHttp } from '@hap/stick';
import {
  freePorts,
  haproxyAvailable,
  type ProxyHandle,
  startProxy,
  startRawBackend,
  startSyslogSink,
  tempDir,
  writeConfig,
} from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CompileOptions,
  compileCondition,
  compileLogFormat,
  compileSampleExpr,
  createUserlist,
  type SampleEnv,
  type SampleValue,
} from '../src/index.ts';
import {
  cfgWord,
  envOf,
  exchange,
  ipv6Loopback,
  messageOf,
  parseCondition,
  type RawRequest,
  rawRequest,
  USERLISTS,
} from './harness.ts';

const haproxy = haproxyAvailable();

// --- files used by the cases (written in the test's temp dir; @D@ is replaced by it) ---

const FILES: Record<string, string> = {
  'hosts.map':
    '# host map\nwww.example.com:8080 web\napi.example.org api\n\n  proxy.test   proxy  \nadmin.local admin\n',
  'beg.map': '/a x\n/a/b longer\n/api/ api\n/static static\n',
  'sub.map': 'Mozilla moz\nb c\nadmin adm\n',
  'end.map': '.png image\n.gif image\n/ slash\n',
  'dir.map': 'b dir-b\nimg dir-img\napi dir-api\n',
  'dom.map': 'example dom-example\ntest dom-test\nlocal dom-local\n',
  'reg.map': '^/a/(b)/ first-\\1\n^/api/v([0-9]+)/ version-\\1\n(.*)\\.gif$ gif:\\1\n',
  'int.map': '42 forty-two\n1:9 small\n-17 minus\n99999999999 big\n',
  'ip.map': '127.0.0.0/8 loopback\n127.0.0.2 two\n::1 six\n10.0.0.0/8 ten\n10.1.0.0/16 ten-one\n',
  'ipval.map': 'web 10.0.0.1\napi 2001:db8::5\n',
  'num.map': 'web 80\napi 443\n',
  'paths.lst': '/api\n/static\n# comment\n\n/a/b\n',
  'hosts.lst': 'WWW.EXAMPLE.COM:8080\nproxy.test\n',
  'nets.lst': '127.0.0.2\n10.0.0.0/8\n2001:db8::/32\n',
  'regs.lst': '^/admin\n\\.png$\n',
};

// --- request side: log-format cases (inside `listen l`) ---

const LF_REQ: string[] = [
  // layer 4 and proxies
  '%[src]',
  '%[src_port]',
  '%[dst]',
  '%[dst_port]',
  '%[fe_name]|%[be_name]',
  '%ci:%cp %fi:%fp %f %b %s %ft',
  '%{+Q}f %{+Q}b %{+X}ci %{+X}cp %{+Q}ci',
  '%{+Q}o %f %s %{-Q}b%{-Q}o',
  '%H|%[hostname]',
  '%ST %ID',
  '%r',
  '%HM %HU %HP %HPO %HQ %HV',
  '%{+Q}r %{+Q}HU %{+Q}HQ',
  '100%% a%-b c  d',
  // HTTP fetches
  '%[method]|%[path]|%[pathq]|%[url]|%[query]',
  '%[base]|%[baseq]',
  '%[url_param(x)]|%[url_param(y)]|%[urlp(q)]|%[urlp(p,;)]|%[urlp]|%[url_param(jsessionid,;)]|%[urlp()]',
  '%[urlp_val(x)]|%[urlp_val(p,;)]',
  '%[hdr(host)]|%[req.hdr(host)]|%[hdr(HOST)]',
  '%[hdr(x-multi)]|%[hdr(x-multi,1)]|%[hdr(x-multi,-1)]|%[hdr(x-multi,2)]|%[hdr(x-multi,-3)]|%[hdr(x-multi,5)]',
  '%[req.hdr(x-in)]|%[req.fhdr(x-in)]|%[req.fhdr(x-multi,2)]|%[req.fhdr(x-multi)]|%[req.fhdr(x-multi,-2)]',
  '%[req.hdr_cnt(x-multi)]|%[req.fhdr_cnt(x-multi)]|%[hdr_cnt]|%[req.hdr_cnt]|%[req.fhdr_cnt]|%[hdr_cnt(nope)]',
  '%[req.hdrs]',
  '%[req.hdr_names]|%[req.hdr_names(;)]',
  '%[cook(a)]|%[req.cook(a)]|%[req.cook]|%[req.cook(b)]|%[req.cook(theme)]|%[req.cook(lang)]|%[req.cook(c)]',
  '%[req.cook_cnt(a)]|%[req.cook_cnt]|%[cook_cnt(theme)]|%[cook_val(a)]|%[req.cook_val(b)]',
  '%[hdr_val(x-num)]|%[req.hdr_val(x-num)]|%[hdr_val(host)]',
  '%[hdr_ip(x-forwarded-for)]|%[req.hdr_ip(x-forwarded-for,1)]|%[hdr_ip(x-ip)]|%[hdr_ip(host)]',
  '%[req.ver]|%[req.proto_http]|%[ssl_fc]|%[ssl_fc_sni]|%[req.ssl_sni]',
  '%[req.body]|%[req.body_size]|%[req.body_len]',
  '%[nbsrv]|%[nbsrv(l)]|%[queue]|%[queue(l)]',
  // constants, variables, environment
  '%[always_true]|%[always_false]|%[env(HAP_SAMPLE_TEST)]|%[env(HAP_SAMPLE_NOPE)]',
  '%[int(42)]|%[int(-1)]|%[str(hello world)]|%[bool(1)]|%[bool(false)]|%[str()]',
  '%[int(9223372036854775807)]|%[int(-9223372036854775808)]|%[int(99999999999999999999)]',
  '%[ipv4(10.0.0.1)]|%[ipv6(2001:db8::1)]|%[ipv6(::ffff:1.2.3.4)]|%[ipv6(::)]|%[ipv6(1:0:0:1:0:0:0:1)]',
  '%[bin(0001ff)]|%[bin(41)]|%[meth(GET)]|%[meth(PURGE)]',
  '%[var(txn.s)]|%[var(txn.i)]|%[var(txn.nope,dflt)]|%[var(txn.ip)]|%[var(txn.b)]|%[var(txn.bin)]|%[var(txn.nope)]',
  // converters: strings
  '%[req.hdr(x-in),lower]|%[req.hdr(x-in),upper]|%[src,upper]|%[int(12),lower]',
  '%[req.hdr(x-in),length]|%[path,length]|%[src,length]|%[bool(1),length]',
  '%[req.hdr(x-in),base64]|%[str(),base64]|%[int(1),base64]|%[src,base64]',
  '%[str(SGVsbG8=),b64dec]|%[hdr(x-b64),b64dec]|%[str(SGVsbG8),b64dec]|%[str(a),ub64enc]|%[str(YQ),ub64dec]',
  '%[req.hdr(x-in),hex]|%[int(1),hex]|%[src,hex]|%[bool(1),hex]|%[str(A),hex,hex2i]|%[str(fF),hex2i]|%[str(zz),hex2i]',
  '%[req.hdr(x-in),json]|%[hdr(x-utf),json(ascii)]|%[hdr(x-utf),json(utf8s)]|%[hdr(x-utf),json(utf8ps)]',
  '%[hdr(x-utf),json(utf8)]|%[hdr(x-utf),json(utf8p)]|%[hdr(x-ok),json(utf8)]|%[hdr(x-ok),json(utf8p)]',
  '%[path,field(2,/)]|%[path,field(-1,/)]|%[path,field(2,/,0)]|%[path,field(-2,/,2)]|%[path,field(9,/)]',
  '%[str(f1_f2_f3__f5),field(5,_)]|%[str(f1_f2_f3__f5),field(2,_,0)]|%[str(f1_f2_f3__f5),field(2,_,2)]|%[str(f1_f2_f3__f5),field(-2,_,3)]|%[str(f1_f2_f3__f5),field(-3,_,0)]',
  '%[path,word(2,/)]|%[path,word(-1,/)]|%[path,word(1,/,0)]|%[path,word(9,/)]|%[hdr(host),word(1,.:)]',
  '%[str(f1_f2_f3__f5),word(4,_)]|%[str(f1_f2_f3__f5),word(2,_,0)]|%[str(f1_f2_f3__f5),word(3,_,2)]|%[str(f1_f2_f3__f5),word(-2,_,3)]|%[str(f1_f2_f3__f5),word(-3,_,0)]',
  '%[req.hdr(x-in),bytes(2)]|%[req.hdr(x-in),bytes(2,3)]|%[str(ab),bytes(5)]|%[str(abc),bytes(1,0)]|%[int(258),bytes(6)]',
  '%[req.hdr(x-in),ltrim(He)]|%[path,rtrim(/gnp.)]|%[str(xxaxx),ltrim(x),rtrim(x)]',
  '%[url,url_dec]|%[query,url_dec]|%[query,url_dec(1)]|%[str(%zz),url_dec]|%[str(a+b%41),url_dec]|%[path,url_enc(query)]',
  '%[str(a),concat(<,txn.s,>)]|%[path,concat(,txn.i)]|%[str(x),concat(-)]|%[str(x),concat(,txn.nope,!)]',
  '%[str(a),add_item(",",txn.s)]|%[str(),add_item(-,txn.s)]|%[str(a),add_item(-,txn.nope,sfx)]',
  '%[hdr(host),host_only]|%[hdr(host),port_only]|%[str([::1]:99),host_only]|%[str([::1]:99),port_only]',
  '%[req.hdr(x-in),cut_crlf]|%[bool(1),iif(yes,no)]|%[int(0),iif(yes,no)]|%[hdr(x-num),iif(y,n)]',
  "%[path,regsub(/,_,g)]|%[req.hdr(x-in),regsub(l+,L)]|%[path,regsub('^/([^/]*)','\\1:',i)]|%[str(xAy),regsub(a,b,i)]",
  '%[str(aaa),regsub(x*,-,g)]|%[str(abc),regsub(^,>,g)]|%[str(a.b.c),regsub(\\.,,g)]|%[str(foo123),regsub("(foo|bar)([0-9]+)?","\\2\\1",i)]',
  '%[str(v),set-var(txn.sv)]|%[var(txn.sv)]|%[str(w),set-var(txn.sv,ifnotexists)]|%[var(txn.sv)]|%[int(3),set-var(txn.sv,ifexists)]|%[var(txn.sv)]',
  // converters: integers
  '%[hdr_val(x-num),add(3)]|%[req.hdr_val(x-num),sub(txn.i)]|%[hdr_val(x-num),mul(-2)]|%[hdr_val(x-num),div(3)]',
  '%[hdr_val(x-num),div(0)]|%[hdr_val(x-num),mod(5)]|%[hdr_val(x-num),mod(0)]|%[hdr_val(x-num),neg]|%[hdr_val(x-num),add(txn.nope)]',
  '%[hdr_val(x-num),and(6)]|%[hdr_val(x-num),or(1)]|%[hdr_val(x-num),xor(txn.i)]|%[hdr_val(x-num),cpl]|%[int(4294967296),and(4294967295)]',
  '%[int(9223372036854775807),add(1)]|%[int(-9223372036854775807),sub(5)]|%[int(4611686018427387904),mul(4)]|%[int(-5),div(2)]|%[int(-5),mod(3)]',
  '%[hdr_val(x-num),even]|%[hdr_val(x-num),odd]|%[hdr_val(x-num),not]|%[hdr_val(x-num),bool]|%[int(0),bool]|%[str(12abc),add(1)]|%[str(),add(1)]',
  '%[str(abc),strcmp(txn.s)]|%[str(hello),strcmp(txn.s)]|%[str(hello!),strcmp(txn.s)]|%[str(hel),strcmp(txn.s)]|%[hdr(host),strcmp(txn.nope)]',
  '%[str(hello),secure_memcmp(txn.s)]|%[str(hellO),secure_memcmp(txn.s)]|%[str(hell),secure_memcmp(txn.s)]',
  '%[int(1),htonl,hex]|%[int(-1),htonl,hex]|%[int(0),http_date]|%[int(1700000000),http_date(60)]',
  '%[bin(01020304050607),be2hex(:,2)]|%[bin(01020304050607),be2hex(--,2,1)]|%[bin(01020304050607),be2dec(:,2)]|%[bin(7f000001),be2dec(.,1)]',
  // hashes
  '%[path,djb2]|%[path,sdbm]|%[path,sdbm(1)]|%[hdr(host),wt6]|%[path,crc32]|%[path,crc32(1)]|%[path,crc32c]',
  '%[path,xxh32]|%[path,xxh32(5)]|%[str(),djb2]|%[int(1),sdbm]|%[src,crc32]',
  '%[path,sha1,hex]|%[path,sha2,hex]|%[path,sha2(512),hex]|%[path,digest(sha256),base64]|%[path,hmac(sha256,a2V5),hex]',
  // addresses
  '%[src,ipmask(24)]|%[src,ipmask(255.255.0.0,64)]|%[hdr_ip(x-forwarded-for),ipmask(16,32)]|%[ipv6(2001:db8::1),ipmask(8)]|%[ipv6(::ffff:10.1.2.3),ipmask(8)]',
  '%[str(10.1.2.3),ipmask(8)]|%[int(16909060),ipmask(32)]|%[src,add(0)]|%[hdr(x-forwarded-for),ipmask(8)]',
  // maps
  '%[hdr(host),map(@D@/hosts.map)]|%[hdr(host),lower,map_str(@D@/hosts.map,none)]|%[hdr(host),map_str_int(@D@/num.map,-1)]',
  '%[hdr(host),lower,map(@D@/hosts.map),map_str_int(@D@/num.map,0)]|%[hdr(host),lower,map(@D@/hosts.map),map_str_ip(@D@/ipval.map,0.0.0.0)]',
  '%[path,map_beg(@D@/beg.map)]|%[path,map_beg(@D@/beg.map,no)]|%[path,map_beg_int(@D@/num.map,7)]',
  '%[req.fhdr(user-agent),map_sub(@D@/sub.map)]|%[path,map_sub(@D@/sub.map,-)]|%[path,map_end(@D@/end.map)]',
  '%[path,map_dir(@D@/dir.map)]|%[hdr(host),map_dom(@D@/dom.map,nodom)]|%[path,map_reg(@D@/reg.map)]|%[path,map_regm(@D@/reg.map,none)]',
  '%[hdr_val(x-num),map_int(@D@/int.map)]|%[hdr_val(x-num),map_int(@D@/int.map,other)]|%[int(5),map_int(@D@/int.map)]|%[str(9),map_int(@D@/int.map)]',
  '%[src,map_ip(@D@/ip.map)]|%[src,map_ip(@D@/ip.map,none)]|%[hdr(x-forwarded-for),map_ip(@D@/ip.map,nope)]|%[hdr_ip(x-forwarded-for),map_ip(@D@/ip.map,nope)]',
  '%[str(web),map(@D@/hosts.map,x)]|%[str(api),map_str_int(@D@/num.map)]|%[str(api),map_str_ip(@D@/ipval.map)]',
  // 64-bit hashes, dates, JSON, more URL fetches
  '%[path,xxh64]|%[path,xxh64(5)]|%[str(),xxh64]|%[req.hdrs,xxh64(-3)]|%[hdr(x-long),xxh64]',
  '%[path,xxh3]|%[path,xxh3(-7)]|%[str(),xxh3]|%[str(a),xxh3]|%[str(abcd),xxh3(9)]|%[str(abcdefghij),xxh3]|%[str(abcdefghij),xxh3(-1)]',
  '%[req.hdrs,xxh3]|%[req.hdrs,xxh3(77)]|%[hdr(x-long),xxh3]|%[hdr(x-long),xxh3(5)]|%[hdr(x-long),bytes(0,200),xxh3(3)]|%[hdr(x-long),bytes(0,100),xxh3]|%[hdr(x-long),bytes(0,40),xxh3(2)]',
  '%[path,xxh64,mod(1000)]|%[path,xxh3,and(255)]|%[path,xxh64,add(1)]|%[path,xxh3,neg]|%[path,xxh64,hex]|%[path,xxh64,div(3)]|%[path,xxh3,bool]',
  '%[int(1700000000),utime(%Y-%m-%d %H:%M:%S %a %A %b %B %j %U %W %V %G %g %u %w %e %k %l %I %p %P %C %y %D %F %R %T %r %h %s %%)]',
  '%[int(1700000000),utime(%c|%x|%X|%Z|%z,86399)]|%[int(-1),utime(%Y)]|%[int(0),utime(%Y-%m-%d)]|%[int(1704067199),utime(%G-W%V-%u %U %W)]|%[int(1700000000),ltime(%Y-%m-%d %H:%M,3600)]',
  "%[req.fhdr(x-json),json_query('$.a.b[0]')]|%[req.fhdr(x-json),json_query('$.a.b[1]')]|%[req.fhdr(x-json),json_query('$.a.b[2].c')]|%[req.fhdr(x-json),json_query('$.n')]|%[req.fhdr(x-json),json_query('$.n',int)]",
  "%[req.fhdr(x-json),json_query('$.i')]|%[req.fhdr(x-json),json_query('$.i','int')]|%[req.fhdr(x-json),json_query('$.t')]|%[req.fhdr(x-json),json_query('$.f')]|%[req.fhdr(x-json),json_query('$.z')]|%[req.fhdr(x-json),json_query('$.s')]",
  "%[req.fhdr(x-json),json_query('$.big')]|%[req.fhdr(x-json),json_query('$.big',int)]|%[req.fhdr(x-json),json_query('$.a')]|%[req.fhdr(x-json),json_query('$.nope')]|%[req.fhdr(x-json),json_query('$.e')]|%[req.fhdr(x-json),json_query('$.u')]|%[req.fhdr(x-json),json_query('$.d.k')]|%[req.fhdr(x-json),json_query('$.f2')]",
  '%[base32]|%[url32]|%[base32+src,hex]|%[url32+src,hex]|%[url_ip]|%[url_port]|%[srv_queue(r/s)]|%[str(r/s),srv_queue]',
  '%[req.body_param(a)]|%[req.body_param(b)]|%[req.body_param]|%[req.body_param(zz)]',
  // authentication
  '%[http_auth_type]|%[http_auth_user]|%[http_auth_pass]|%[http_auth_bearer]|%[http_auth_bearer(x-token)]|%[http_auth_bearer(x-nope)]',
  '%[http_auth(L)]|%[http_auth_group(L)]|%[http_auth(L2)]|%[http_auth_group(L2)]',
  // stick tables (http-request track-sc1 src table st)
  '%[sc1_http_req_cnt]|%[sc_http_req_cnt(1)]|%[sc1_conn_cnt(st)]|%[src_http_req_cnt(st)]|%[src,table_http_req_cnt(st)]|%[sc1_tracked]|%[sc0_tracked]|%[sc0_http_req_cnt]',
  '%[table_cnt(st)]|%[table_avl(st)]|%[src,in_table(st)]|%[str(1.2.3.4),in_table(st)]|%[sc1_trackers]|%[src,table_trackers(st)]|%[sc1_conn_cur]|%[sc_conn_cur(1,st)]',
  '%[sc1_get_gpc0]|%[sc1_inc_gpc0]|%[sc1_get_gpc0]|%[src_get_gpc0(st)]|%[src,table_gpc0(st)]|%[sc_get_gpc0(1)]|%[sc1_http_req_rate]|%[src,table_http_req_rate(st)]|%[src_updt_conn_cnt(st2)]|%[src,table_expire(st),sub(1),div(60000)]|%[src,table_idle(st),div(60000)]|%[str(1.2.3.4),table_idle(st,-1)]|%[str(1.2.3.4),table_expire(st)]',
  // flags on samples (http rendering: control characters encoded, E escapes, Q ignored)
  '%{+E}[str(a\\"b\\\\c]d)]|%{+Q}[str(q)]|%{+Q}[hdr(nope)]|%[hdr(x-ctl)]|%{+E}[hdr(x-ctl)]',
];

// --- request side: conditions (named ACLs declared in `listen l`) ---

const NAMED_REQ: [string, string[]][] = [
  ['is_api', ['path_beg', '/api']],
  ['is_api', ['hdr_beg(host)', '-i', 'api.']],
  ['is_img', ['path_end', '-i', '.png', '.gif']],
  ['local', ['src', '127.0.0.0/8', '::1']],
  ['has_x', ['hdr(x-multi)', '-m', 'found']],
];

const COND_REQ: string[][] = [
  // path and URL
  ['{', 'path_beg', '-i', '/API', '}'],
  ['{', 'path_beg', '/API', '}'],
  ['{', 'path_end', '.png', '.gif', '}'],
  ['{', 'path_sub', '/b/', '}'],
  ['{', 'path_reg', '^/a/[a-z]+/', '}'],
  ['{', 'path_reg', '-i', '^/ADMIN/$', '}'],
  ['{', 'path_dir', 'b', '}'],
  ['{', 'path_dir', '/b/c.png', '}'],
  ['{', 'path_dom', 'png', '}'],
  ['{', 'path_len', '6', '}'],
  ['{', 'path_len', 'gt', '10', '}'],
  ['{', 'path', '/', '}'],
  ['{', 'path', '-m', 'found', '}'],
  ['{', 'url_beg', '/', '}'],
  ['{', 'url_beg', 'http://', '}'],
  ['{', 'url_sub', 'abs', '}'],
  ['{', 'url_end', '2', '}'],
  ['{', 'url_param(x)', '3', '}'],
  ['{', 'urlp(x)', '1', '}'],
  ['{', 'urlp_val(x)', 'ge', '2', '}'],
  ['{', 'urlp', 'empty', '}'],
  ['{', 'query', '-m', 'found', '}'],
  ['{', 'query', '-m', 'len', '0', '}'],
  ['{', 'base_beg', 'www.', '}'],
  ['{', 'base', '-m', 'sub', '/a/b', '}'],
  // headers
  ['{', 'hdr_beg(host)', '-i', 'www.', '}'],
  ['{', 'hdr_end(host)', '.org', '}'],
  ['{', 'hdr_sub(user-agent)', 'X11', '}'],
  ['{', 'hdr_reg(host)', '^[a-z]+\\.', '}'],
  ['{', 'hdr_dom(host)', '-i', 'example', '}'],
  ['{', 'hdr_dom(host)', 'com', '}'],
  ['{', 'hdr_dir(x-in)', 'World', '}'],
  ['{', 'hdr_len(x-in)', '12', '}'],
  ['{', 'hdr_val(x-num)', 'gt', '40', '}'],
  ['{', 'hdr_cnt(x-multi)', 'eq', '3', '}'],
  ['{', 'hdr(x-multi)', 'c', '}'],
  ['{', 'hdr(x-multi,1)', 'c', '}'],
  ['{', 'hdr(x-nope)', '-m', 'found', '}'],
  ['{', 'req.hdr(x-in)', '-m', 'len', '0', '}'],
  ['{', 'req.hdr(x-in)', '-m', 'str', 'Hello', '}'],
  ['{', 'req.fhdr(x-in)', '-m', 'beg', '"quoted', '}'],
  ['{', 'hdr(host)', '-m', 'end', '-i', '.LOCAL', '}'],
  ['{', 'hdr(x-forwarded-for)', '-m', 'ip', '10.0.0.0/8', '}'],
  ['{', 'hdr_ip(x-forwarded-for)', '192.168.0.0/16', '}'],
  ['{', 'hdr_ip(x-forwarded-for)', '2001:db8::/32', '}'],
  ['{', 'req.hdr(x-num)', '-m', 'int', '42', '}'],
  ['{', 'req.hdr(x-num)', '-m', 'int', 'gt', '0', '}'],
  ['{', 'req.hdr(x-num)', '-m', 'bool', '}'],
  ['{', 'hdr(host),lower', '-m', 'end', '.com:8080', '}'],
  ['{', 'hdr_beg(host),lower', 'www.', '}'],
  ['{', 'path,word(1,/)', '-m', 'str', 'a', '}'],
  // cookies
  ['{', 'cook(a)', '3', '}'],
  ['{', 'req.cook(a)', '1', '}'],
  ['{', 'req.cook(b)', '-m', 'found', '}'],
  ['{', 'cook_sub(theme)', 'dark', '}'],
  ['{', 'req.cook_cnt(a)', '2', '}'],
  ['{', 'cook_val(a)', 'lt', '2', '}'],
  ['{', 'req.cook', 'abc', '}'],
  // addresses
  ['{', 'src', '127.0.0.1', '}'],
  ['{', 'src', '127.0.0.0/8', '}'],
  ['{', 'src', '10.0.0.0/8', '::1', '}'],
  ['{', 'src', '127.0.0.2/32', '}'],
  ['{', 'src', '127.1', '}'],
  ['{', 'src', '127.0.0.0/255.255.255.252', '}'],
  ['{', 'src', '::ffff:127.0.0.0/104', '}'],
  ['{', 'src_port', '1024:65535', '}'],
  ['{', 'dst_port', '0:1023', '}'],
  ['{', 'dst', '127.0.0.1', '}'],
  // methods
  ['{', 'method', 'GET', '}'],
  ['{', 'method', 'get', '}'],
  ['{', 'method', '-i', 'get', '}'],
  ['{', 'method', '-i', 'purge', '}'],
  ['{', 'method', 'PURGE', '}'],
  ['{', 'method', '-m', 'str', 'GET', '}'],
  ['{', 'method', '-m', 'beg', 'P', '}'],
  // integers, booleans, binary
  ['{', 'int(5)', 'gt', '4', '}'],
  ['{', 'int(5)', 'lt', '5', '}'],
  ['{', 'int(5)', 'le', '5', '}'],
  ['{', 'int(5)', 'ge', '6', '}'],
  ['{', 'int(5)', 'eq', '4', '6', '}'],
  ['{', 'int(5)', '1:4', '6:10', '}'],
  ['{', 'int(5)', ':5', '}'],
  ['{', 'int(5)', '5:', '}'],
  ['{', 'int(-3)', 'lt', '0', '}'],
  ['{', 'int(-3)', '--', '-3', '}'],
  ['{', 'int(0)', '-m', 'bool', '}'],
  ['{', 'int(7)', '-m', 'bool', '}'],
  ['{', 'str(abc)', '-m', 'bool', '}'],
  ['{', 'bool(1)', '-m', 'int', '1', '}'],
  ['{', 'always_true', '}'],
  ['{', 'always_false', '}'],
  ['{', 'req.body', '-m', 'bin', '613d31263d32', '}'],
  ['{', 'req.body', '-m', 'sub', '1&b', '}'],
  ['{', 'req.body', '-m', 'found', '}'],
  ['{', 'str(AB)', '-m', 'bin', '4142', '}'],
  ['{', 'req.body_size', 'gt', '0', '}'],
  ['{', 'var(txn.i)', '-m', 'int', '7', '}'],
  ['{', 'var(txn.s)', '-m', 'beg', 'hel', '}'],
  ['{', 'var(txn.ip)', '-m', 'ip', '127.0.0.0/8', '}'],
  ['{', 'str(-x)', '--', '-x', '}'],
  ['{', 'http_auth(L)', '}'],
  ['{', 'http_auth_group(L)', 'admins', '}'],
  ['{', 'http_auth_group(L)', 'ops', 'admins', '}'],
  ['{', 'http_auth_group(L2)', 'g', '}'],
  ['{', 'sc1_http_req_cnt', 'gt', '2', '}'],
  ['{', 'src,table_http_req_cnt(st)', 'ge', '1', '}'],
  ['{', 'sc1_tracked', '}'],
  ['{', 'req.body_param(a)', '-m', 'str', '1', '}'],
  ['{', 'url_ip', '10.0.0.0/8', '}'],
  ['{', 'str(abc)', '-m', 'reg', '-i', '^A.C$', '}'],
  ['{', 'str(/a/b/c)', '-m', 'dir', '/a/b', '}'],
  ['{', 'str(www.example.com)', '-m', 'dom', '.example.', '}'],
  // files
  ['{', 'path_beg', '-f', '@D@/paths.lst', '}'],
  ['{', 'hdr(host)', '-i', '-f', '@D@/hosts.lst', '}'],
  ['{', 'hdr(host)', '-f', '@D@/hosts.lst', '}'],
  ['{', 'src', '-f', '@D@/nets.lst', '}'],
  ['{', 'hdr_ip(x-forwarded-for)', '-n', '-f', '@D@/nets.lst', '}'],
  ['{', 'path', '-m', 'beg', '-M', '-f', '@D@/beg.map', '}'],
  ['{', 'path', '-m', 'reg', '-f', '@D@/regs.lst', '/static', '}'],
  ['{', 'hdr(host)', '-m', 'str', '-f', '@D@/hosts.lst', '-i', 'admin.LOCAL', '}'],
  // predefined
  ['TRUE'],
  ['FALSE'],
  ['HTTP'],
  ['HTTP_1.0'],
  ['HTTP_1.1'],
  ['HTTP_CONTENT'],
  ['HTTP_URL_ABS'],
  ['HTTP_URL_SLASH'],
  ['HTTP_URL_STAR'],
  ['LOCALHOST'],
  ['METH_GET'],
  ['METH_POST'],
  ['METH_DELETE'],
  ['METH_OPTIONS'],
  ['METH_HEAD'],
  ['METH_PUT'],
  ['REQ_CONTENT'],
  ['WAIT_END'],
  // composition
  ['is_api'],
  ['!is_api'],
  ['is_img', 'local'],
  ['is_img', '!local', 'or', 'has_x'],
  ['METH_GET', 'is_img', '||', 'METH_POST', 'is_api'],
  ['!', 'has_x', '{', 'hdr_cnt(host)', 'eq', '1', '}'],
  ['{', 'src', '::1', '}', 'or', '{', 'path_len', 'le', '2', '}'],
];

// --- the requests ---

const REQUESTS: RawRequest[] = [
  {
    line: 'GET /a/b/c.png?x=1&y=2&x=3 HTTP/1.1',
    headers: [
      ['Host', ' www.Example.com:8080'],
      ['X-In', ' Hello, World'],
      ['User-Agent', ' Mozilla/5.0 (X11; Linux)'],
      ['Cookie', ' a=1; b = 2 ; a=3'],
      ['X-Forwarded-For', ' 10.1.2.3, 192.168.0.9'],
      ['X-Num', ' 42'],
      ['X-Multi', ' a'],
      ['X-Multi', ' b,c'],
      ['X-Utf', ' caf\xc3\xa9 \xe2\x9c\x93'],
      ['X-Ok', ' ok'],
      ['X-Ctl', ' a\tb'],
    ],
  },
  {
    line: 'POST /api/v1/users HTTP/1.1',
    headers: [
      ['Host', ' api.example.org'],
      ['Content-Type', ' application/x-www-form-urlencoded'],
      ['Content-Length', ' 7'],
      ['X-In', ' UPPER case'],
      ['Cookie', ' sid=abc'],
      ['X-Forwarded-For', ' 2001:db8::1'],
      ['X-Num', ' -17'],
      ['X-B64', ' SGVsbG8sIFdvcmxkIQ=='],
      ['X-Utf', ' \xff\xc3\x28 \xc0\xaf \xed\xa0\x80 \xf0\x9f\x98\x80 ok'],
    ],
    body: 'a=1&b=2',
  },
  {
    line: 'GET http://proxy.test/abs/path?q=%41%2Bb+c HTTP/1.1',
    headers: [
      ['Host', ' proxy.test'],
      ['X-In', ''],
      ['X-Multi', ' a'],
      ['X-Multi', ' b,c'],
      ['X-Multi', ''],
      ['X-B64', ' not base64!'],
      ['X-Utf', ' \xc1\xbf \xe0\x80\xaf'],
    ],
  },
  {
    line: 'GET /static/../img/logo.gif;jsessionid=xyz?p=1;q=2 HTTP/1.0',
    headers: [
      ['X-Num', ' 12abc'],
      ['X-Ip', ' 127.0.0.1:8080'],
      ['X-Forwarded-For', ' unknown, 10.9.8.7'],
      ['Cookie', ' a=9'],
    ],
  },
  { line: 'OPTIONS * HTTP/1.1', headers: [['Host', ' h']] },
  {
    line: 'PUT /a%20b/%C3%A9t%C3%A9 HTTP/1.1',
    headers: [
      ['Host', ' [::1]:8443'],
      ['X-In', ' "quoted, value" , x'],
      ['Cookie', ' $Version=1; theme="dark;mode"; lang=fr'],
      ['Cookie', ' a=7, b=8'],
      ['Content-Length', ' 0'],
    ],
    from: '::1',
  },
  {
    line: 'DELETE /Admin/ HTTP/1.1',
    headers: [
      ['Host', ' ADMIN.local'],
      ['X-Token', ' secret'],
      ['X-Num', ' 99999999999'],
    ],
    from: '127.0.0.2',
  },
  {
    line: 'PURGE /cache HTTP/1.1',
    headers: [
      ['Host', ' c'],
      ['X-Multi', ' x'],
    ],
  },
  {
    line: 'GET /x?=empty&&a HTTP/1.1',
    headers: [
      ['Host', ' x'],
      ['Cookie', ' noequal; =v; c='],
      ['X-Ip', ' ::ffff:10.0.0.1'],
      ['X-Num', ' 0'],
    ],
    from: '127.0.0.3',
  },
  {
    line: 'get /lower HTTP/1.1',
    headers: [
      ['Host', ' l'],
      ['X-Num', ' 7 1'],
    ],
  },
  { line: 'GET / HTTP/1.0', headers: [] },
  {
    line: 'GET /x/%C3%A9?y=1 HTTP/1.1',
    headers: [
      ['Host', ' caf\xe9.example:81'],
      ['Authorization', ' Basic YWxpY2U6czNjcmV0IQ=='],
      ['X-Token', ' bearer tok123'],
      ['X-Long', ` ${'0123456789abcdefghijklmnopqrstuvwxyz'.repeat(40)}`],
      [
        'X-Json',
        ' {"a":{"b":[1,22.5,{"c":"x\\u00e9\\"y"}]},"n":-1.5e3,"i":012,"t":true,"f":false,"z":null,"s":"pl\\/ain","big":12345678901234567890,"e":1e-5,"u":"\\u20ac","d":{"k":"v"} , "f2": 0.1}',
      ],
    ],
  },
  {
    line: 'GET http://10.1.2.3:8080/x/y?z HTTP/1.1',
    headers: [
      ['Host', ' 10.1.2.3:8080'],
      ['Authorization', ' basic Ym9iOnB3NQ=='],
    ],
  },
  { line: 'GET https://192.168.1.300/ HTTP/1.1', headers: [['Host', ' 192.168.1.300']] },
  {
    line: 'GET HTTPS://127.0.0.1 HTTP/1.1',
    headers: [
      ['Host', ' 127.0.0.1'],
      ['Authorization', ' B Y2Fyb2w6bWQ1cHc='],
    ],
  },
  {
    line: 'GET /d HTTP/1.1',
    headers: [
      ['Host', ' h'],
      ['Authorization', ' Basic   ZGF2ZTpjbGVhcjp0ZXh0, Bearer x'],
    ],
  },
  {
    line: 'GET /w HTTP/1.1',
    headers: [
      ['Host', ' h'],
      ['Authorization', ' Basic YWxpY2U6d3Jvbmc='],
    ],
  },
  {
    line: 'GET /b HTTP/1.1',
    headers: [
      ['Host', ' h'],
      ['Authorization', ' Bearer abc.def-ghi'],
    ],
  },
  {
    line: 'GET /i HTTP/1.1',
    headers: [
      ['Host', ' h'],
      ['Authorization', ' Basic !!!='],
      ['X-Token', ' Bearer'],
    ],
  },
  {
    line: 'POST /e HTTP/1.1',
    headers: [
      ['Host', ' h'],
      ['Authorization', ' Basicx ZXJpbjp4'],
      ['Content-Length', ' 15'],
    ],
    body: 'a=1&b=&a=2&c=3x',
  },
  {
    line: 'GET /n HTTP/1.1',
    headers: [
      ['Host', ' h'],
      ['Authorization', ' Basic bm9jb2xvbg=='],
    ],
  },
];

/** The userlists of the configuration, as `userlist` section lines. */
const USERLIST_LINES: Record<string, string[][]> = {
  L: [
    ['group', 'admins', 'users', 'alice,carol'],
    ['group', 'ops'],
    [
      'user',
      'alice',
      'password',
      '$6$Qx9sAlt0$zJn79V4Ug/Qr7nhb7k8Tddf4JYCmUbLNsTl69tw002nG0b/UTxrNdQj7CsanH6tKkcowdqxm1PqnCq5A0HOHx0',
    ],
    [
      'user',
      'bob',
      'password',
      '$5$rounds=2000$pep$o2aEZGuk/lCSjxCSqCK7EgUVpqLiW0PEbNCsCslMCw0',
      'groups',
      'ops',
    ],
    ['user', 'carol', 'password', '$1$md5salt$unAVzRpn1QclE4.2UXVZn.', 'groups', 'ops,admins'],
    ['user', 'dave', 'insecure-password', 'clear:text', 'groups', 'ops'],
    ['user', 'erin', 'password', '*0'],
  ],
  L2: [
    ['group', 'g', 'users', 'bob'],
    ['user', 'bob', 'insecure-password', 'pw5'],
  ],
};

// --- response side (`listen r`): canned responses by path ---

const RESPONSES: Record<string, string> = {
  '/r1':
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: sid=abc; Path=/; HttpOnly\r\nSet-Cookie: lang=en\r\n' +
    'X-Multi: a, b\r\nX-Multi: c\r\nCache-Control: no-cache, private\r\nX-Num: 13\r\nContent-Length: 5\r\n\r\nhello',
  '/r2': 'HTTP/1.0 404 Not Found\r\nX-Num: -4\r\nContent-Length: 0\r\n\r\n',
  '/r3':
    'HTTP/1.1 302 Found\r\nLocation: http://x/\r\nSet-Cookie: a=1, b=2\r\nSet-Cookie: c=3; a=4\r\nContent-Length: 0\r\n\r\n',
};

const LF_RES: string[] = [
  '%[status]|%[res.ver]|%ST|%s|%b|%[srv_name]|%[be_name]',
  '%[res.hdr(x-multi)]|%[res.hdr(x-multi,1)]|%[res.fhdr(x-multi)]|%[res.hdr_cnt(x-multi)]|%[res.fhdr_cnt]|%[hdr(x-multi)]',
  '%[shdr(set-cookie)]|%[res.fhdr(set-cookie,1)]|%[res.hdr_val(x-num)]|%[shdr_val(x-num)]',
  '%[res.cook(sid)]|%[res.cook(lang)]|%[res.cook]|%[scook(a)]|%[res.cook(b)]|%[res.cook_cnt]|%[res.cook_cnt(sid)]|%[scook_cnt(a)]',
  '%[res.hdrs]',
  '%[res.hdr_names]',
  '%[res.hdr(cache-control),word(2,", ")]|%[res.hdr(location),regsub(^http://,https://)]',
];

const COND_RES: string[][] = [
  ['{', 'status', '200', '}'],
  ['{', 'status', '300:399', '}'],
  ['{', 'status', 'ge', '400', '}'],
  ['{', 'res.ver', '1.0', '}'],
  ['{', 'shdr(x-multi)', 'c', '}'],
  ['{', 'shdr_sub(cache-control)', 'priv', '}'],
  ['{', 'scook(sid)', 'abc', '}'],
  ['{', 'res.cook(lang)', '-m', 'found', '}'],
  ['{', 'res.cook(a)', '4', '}'],
  ['{', 'res.hdr_cnt(set-cookie)', 'ge', '2', '}'],
  ['{', 'res.hdr(location)', '-m', 'beg', 'http:', '}'],
  ['{', 'srv_name', 's', '}'],
];

// --- setup variables (set by HAProxy rules, and on our side from the same expressions) ---

const SETUP_VARS: [string, string][] = [
  ['txn.s', 'str(hello)'],
  ['txn.i', 'int(7)'],
  ['txn.ip', 'src'],
  ['txn.b', 'bool(1)'],
  ['txn.bin', 'bin(410042)'],
];

// --- log lines (`listen g`, `log-format`): HAProxy's other rendering ---

const LF_LOG: string[] = [
  '%[var(txn.in)]|%{+Q}[var(txn.in)]|%[var(txn.nope)]|%{+Q}[var(txn.nope)]|%[str()]|%{+Q}[str()]',
  '%{+E}[str(a\\"b\\\\c]d)]|%{+Q,+E}[var(txn.in)]|%{+E}[var(txn.nope)]',
  'a  b   c|%[int(5)] %{+Q}[int(5)] %{+X}[int(255)]|%[bin(410042)]|%[var(txn.ctl)]',
  'lead  %ci %{+Q}ci %{+X}ci  %f %{+Q}b %s %ST',
  '[%{+Q}o %f %[var(txn.path)] %ID %{-Q}o %ID %[var(txn.path)]',
  '%r|%{+Q}r|%HU %HP %HQ %HV %HM %HPO|%{+Q}HQ',
  '%[var(txn.hdrs)]|%[src,ipmask(8)]|%[bool(0)]',
];

/** Variables `listen g` sets from the request, for its log line (headers are gone by then). */
const LOG_VARS: [string, string][] = [
  ['txn.in', 'req.hdr(x-in)'],
  ['txn.ctl', 'req.hdr(x-ctl)'],
  ['txn.path', 'path'],
  ['txn.hdrs', 'req.hdrs'],
];

function expand(s: string, dir: string): string {
  return s.replaceAll('@D@', dir);
}

function sectionLines(
  kind: 'request' | 'response',
  lf: string[],
  conds: string[][],
  named: [string, string[]][],
  dir: string,
): string[] {
  const lines: string[] = [];
  for (const [name, words] of named)
    lines.push(`  acl ${name} ${words.map((w) => cfgWord(expand(w, dir))).join(' ')}`);
  for (const [v, e] of SETUP_VARS) lines.push(`  http-request set-var(${v}) ${cfgWord(e)}`);
  conds.forEach((c, i) => {
    const words = c.map((w) => (w === '{' || w === '}' ? w : cfgWord(expand(w, dir))));
    lines.push(
      kind === 'request'
        ? `  http-request set-var(txn.a${i}) int(1) if ${words.join(' ')}`
        : `  http-response set-header x-a${i} 1 if ${words.join(' ')}`,
    );
  });
  if (kind === 'request') {
    const body = [...lf.map((f) => expand(f, dir)), ...conds.map((_c, i) => `%[var(txn.a${i})]`)].join('\n');
    lines.push(
      `  http-request return status 200 content-type text/plain lf-string ${cfgWord(body).replaceAll('\n', '\\n')}`,
    );
  } else {
    // a reply made by http-response return no longer sees the response: use headers
    lf.forEach((f, i) => {
      lines.push(`  http-response set-header x-lf${i} ${cfgWord(expand(f, dir))}`);
    });
  }
  return lines;
}

interface Result {
  ours: string[];
  theirs: string[];
  label: string;
}

/**
 * Our side of one exchange. On the response side, HAProxy's set-header rules add the
 * condition and case headers to the response as they run: they are added here as well,
 * so that later cases see them too.
 */
function evaluate(
  env: SampleEnv,
  lf: string[],
  conds: string[][],
  named: [string, string[]][],
  opts: CompileOptions,
  dir: string,
  asHeaders = false,
): string[] {
  const byName = new Map<string, string[][]>();
  for (const [n, w] of named) byName.set(n, [...(byName.get(n) ?? []), w.map((x) => expand(x, dir))]);
  const out: string[] = [];
  const acls = conds.map((c, i) => {
    const cond = compileCondition(
      parseCondition(['if', ...c.map((w) => expand(w, dir))]),
      (n) => byName.get(n),
      opts,
    );
    const yes = cond.test(env);
    if (yes && asHeaders) env.res?.headers.push(`x-a${i}`, '1');
    return yes ? '1' : '';
  });
  lf.forEach((f, i) => {
    const v = compileLogFormat(expand(f, dir), opts).render(env);
    if (asHeaders) env.res?.headers.push(`x-lf${i}`, v);
    out.push(v);
  });
  return [...out, ...acls];
}

describe.skipIf(!haproxy.available)(`sample engine against HAProxy (${haproxy.detail})`, () => {
  useTestkit();
  let proxy: ProxyHandle | undefined;
  let port = 0;
  let rport = 0;
  let gport = 0;
  let v6 = false;
  let dir = '';
  const results: Result[] = [];
  const logResults: Result[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    dir = tempDir();
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text, 'latin1');
    v6 = await ipv6Loopback();
    const ports = await freePorts(3);
    port = ports[0]!;
    rport = ports[1]!;
    gport = ports[2]!;
    const sink = await startSyslogSink();
    const backend = await startRawBackend((sock) => {
      let buf = '';
      sock.on('data', (c: Buffer) => {
        buf += c.toString('latin1');
        if (!buf.includes('\r\n\r\n')) return;
        const path = buf.split(' ')[1] ?? '';
        sock.end(Buffer.from(RESPONSES[path] ?? RESPONSES['/r1']!, 'latin1'));
      });
    });
    const cfg = [
      'global',
      '  tune.bufsize 65536',
      'defaults',
      '  mode http',
      '  timeout client 5s',
      '  timeout server 5s',
      '  timeout connect 5s',
      ...Object.entries(USERLIST_LINES).flatMap(([n, lines]) => [
        `userlist ${n}`,
        ...lines.map((w) => `  ${w.map(cfgWord).join(' ')}`),
      ]),
      'backend st',
      '  stick-table type ip size 1k expire 10m store gpc0,conn_cnt,conn_cur,http_req_cnt,http_req_rate(10m),bytes_in_cnt',
      'backend st2',
      '  stick-table type ip size 1k expire 10m store conn_cnt',
      'listen l',
      `  bind 127.0.0.1:${port}`,
      ...(v6 ? [`  bind [::1]:${port}`] : []),
      '  option http-buffer-request',
      '  http-request track-sc1 src table st',
      ...sectionLines('request', LF_REQ, COND_REQ, NAMED_REQ, dir),
      'listen r',
      `  bind 127.0.0.1:${rport}`,
      `  server s ${backend.addr}`,
      ...sectionLines('response', LF_RES, COND_RES, [], dir),
      'listen g',
      `  bind 127.0.0.1:${gport}`,
      `  log ${sink.addr} len 65535 format raw local0`,
      `  log-format ${cfgWord(LF_LOG.map((f) => expand(f, dir)).join('\x1e')).replaceAll('\x1e', '\\x1e')}`,
      ...LOG_VARS.map(([v, e]) => `  http-request set-var(${v}) ${cfgWord(e)}`),
      '  http-request return status 200',
      '',
    ].join('\n');
    proxy = await startProxy('haproxy', writeConfig(cfg), {
      readyPorts: [port, rport, gport],
      env: { HAP_SAMPLE_TEST: 'from-env' },
    });
    process.env['HAP_SAMPLE_TEST'] = 'from-env';

    for (const [n, lines] of Object.entries(USERLIST_LINES)) USERLISTS.set(n, createUserlist(n, lines));
    const tables = new Map<string, StickTable>([
      [
        'st',
        new StickTable(
          'st',
          parseStickTable(
            'type ip size 1k expire 10m store gpc0,conn_cnt,conn_cur,http_req_cnt,http_req_rate(10m),bytes_in_cnt'.split(
              ' ',
            ),
          ),
        ),
      ],
      ['st2', new StickTable('st2', parseStickTable('type ip size 1k expire 10m store conn_cnt'.split(' ')))],
    ]);
    const optsReq: CompileOptions = {
      file: 'diff',
      line: 1,
      resolvePath: (p) => p,
      userlistExists: (n) => USERLISTS.has(n),
      userlist: (n) => USERLISTS.get(n),
      tableExists: (n) => tables.has(n),
    };
    const optsRes: CompileOptions = { ...optsReq, direction: 'response' };
    for (const r of REQUESTS) {
      if (r.from === '::1' && !v6) continue;
      const host = r.from === '::1' ? '::1' : '127.0.0.1';
      const local = r.from && r.from !== '::1' ? r.from : undefined;
      const reply = await exchange(host, port, rawRequest(r), local);
      const label = `${r.line} (from ${reply.localAddress})`;
      if (reply.status !== 200) {
        errors.push(`${label}: HTTP ${reply.status} ${reply.body}`);
        continue;
      }
      const req = messageOf(r.line, r.headers, r.body);
      // http-request track-sc1 src table st: tracked (and the request counted) before the rules
      const st = tables.get('st')!;
      const tracked = trackHttp(st, { addr: reply.localAddress });
      const base = {
        src: reply.localAddress,
        srcPort: reply.localPort,
        dst: host,
        dstPort: port,
        proxy: 'l',
        req,
        stick: {
          tracked: (n: number) => (n === 1 ? tracked : undefined),
          table: (n: string | undefined) => (n === undefined ? undefined : tables.get(n)),
        },
      };
      const env = envOf(base);
      env.status = 200;
      for (const [v, e] of SETUP_VARS) {
        const val = compileSampleExpr(e, optsReq).eval(env) as SampleValue;
        env.vars.set(v, val);
      }
      try {
        const ours = evaluate(env, LF_REQ, COND_REQ, NAMED_REQ, optsReq, dir);
        results.push({ ours, theirs: reply.body.split('\n'), label });
      } catch (e) {
        errors.push(`${label}: ${(e as Error).stack}`);
      }
      if (tracked) st.release(tracked);
    }
    for (const path of Object.keys(RESPONSES)) {
      const line = `GET ${path} HTTP/1.1`;
      const headers: [string, string][] = [['Host', ' r']];
      const reply = await exchange('127.0.0.1', rport, rawRequest({ line, headers }));
      const label = `response to ${path}`;
      const raw = RESPONSES[path]!;
      const [head, body] = raw.split('\r\n\r\n') as [string, string];
      const hl = head.split('\r\n');
      const res = messageOf(
        hl[0]!,
        hl.slice(1).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)] as [string, string]),
        body,
      );
      const env = envOf({
        src: reply.localAddress,
        srcPort: reply.localPort,
        dst: '127.0.0.1',
        dstPort: rport,
        proxy: 'r',
        server: 's',
        req: messageOf(line, headers),
        res,
      });
      try {
        const ours = evaluate(env, LF_RES, COND_RES, [], optsRes, dir, true).map((v) => v.trim());
        const theirs = [
          ...LF_RES.map((_f, i) => reply.headers[`x-lf${i}`] ?? '<absent>'),
          ...COND_RES.map((_c, i) => reply.headers[`x-a${i}`] ?? ''),
        ];
        results.push({ ours, theirs, label });
      } catch (e) {
        errors.push(`${label}: ${(e as Error).stack}`);
      }
    }
    const optsLog: CompileOptions = { ...optsReq, logFormatUse: 'log' };
    const logged = REQUESTS.filter((r) => r.from === undefined).slice(0, 4);
    for (const [i, r] of logged.entries()) {
      const reply = await exchange('127.0.0.1', gport, rawRequest(r));
      const label = `log line of ${r.line}`;
      const deadline = Date.now() + 5000;
      while (sink.lines().length <= i && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 10));
      const line = sink.lines()[i];
      if (line === undefined) {
        errors.push(`${label}: no log line`);
        continue;
      }
      const req = messageOf(r.line, r.headers, r.body);
      const env = envOf({
        src: reply.localAddress,
        srcPort: reply.localPort,
        dst: '127.0.0.1',
        dstPort: gport,
        proxy: 'g',
        req,
      });
      env.status = 200;
      for (const [v, e] of LOG_VARS) {
        const val = compileSampleExpr(e, optsReq).eval(env);
        if (val !== undefined) env.vars.set(v, val);
      }
      // the sink decodes datagrams as UTF-8: decode ours the same way
      const ours = LF_LOG.map((f) =>
        Buffer.from(compileLogFormat(expand(f, dir), optsLog).render(env), 'latin1').toString('utf8'),
      );
      logResults.push({ ours, theirs: line.split('\x1e'), label });
    }
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  it('HAProxy accepted the configuration and answered every request', () => {
    expect(errors).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(
      REQUESTS.length - (v6 ? 0 : 1) + Object.keys(RESPONSES).length,
    );
  });

  it('log-format renderings and condition results are equal, case by case', () => {
    const diffs: string[] = [];
    let compared = 0;
    for (const r of results) {
      const cases = r.label.startsWith('response')
        ? [...LF_RES, ...COND_RES.map((c) => `if ${c.join(' ')}`)]
        : [...LF_REQ, ...COND_REQ.map((c) => `if ${c.join(' ')}`)];
      expect(r.theirs.length, r.label).toBe(cases.length);
      for (let i = 0; i < cases.length; i++) {
        compared++;
        if (r.ours[i] !== r.theirs[i]) {
          diffs.push(
            `${r.label}\n  case:    ${cases[i]}\n  haproxy: ${JSON.stringify(r.theirs[i])}\n  ours:    ${JSON.stringify(r.ours[i])}`,
          );
        }
      }
    }
    expect(diffs.join('\n')).toBe('');
    expect(compared).toBeGreaterThan(1500);
  });

  it('log lines (log-format rendering: quoting, escaping, "-", merged spaces) are equal', () => {
    const diffs: string[] = [];
    expect(logResults.length).toBe(4);
    for (const r of logResults) {
      expect(r.theirs.length, r.label).toBe(LF_LOG.length);
      for (let i = 0; i < LF_LOG.length; i++) {
        if (r.ours[i] !== r.theirs[i]) {
          diffs.push(
            `${r.label}\n  case:    ${LF_LOG[i]}\n  haproxy: ${JSON.stringify(r.theirs[i])}\n  ours:    ${JSON.stringify(r.ours[i])}`,
          );
        }
      }
    }
    expect(diffs.join('\n')).toBe('');
  });
});
