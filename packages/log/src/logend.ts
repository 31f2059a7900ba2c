// Sample fetches HAProxy refuses in log-format strings: at log time the request and
// response headers, bodies and buffers are gone (their sources lack SMP_VAL_FE_LOG_END),
// so "%[req.hdr(host)]" fails with "sample fetch <…> may not be reliably used here because
// it needs 'HTTP request headers' which is not available here". Captures are the way.

const RQ = 'HTTP request headers';
const RS = 'HTTP response headers';
const L6Q = 'request buffer';
const L6S = 'response buffer';

const NEEDS = new Map<string, string>();
const add = (what: string, names: string) => {
  for (const n of names.split(' ')) NEEDS.set(n, what);
};
add(
  RQ,
  'base base32 baseq cook cook_cnt cook_val hdr_cnt hdr_ip hdr_val http_auth_type http_auth_user ' +
    'http_auth_pass http_auth_bearer http_auth http_auth_group path pathq query req.ver req_ver req.body ' +
    'req.body_len req.body_size req.body_param req.hdrs req.hdrs_bin req.cook req.cook_cnt req.cook_val ' +
    'req.fhdr req.fhdr_cnt req.hdr req.hdr_cnt req.hdr_ip req.hdr_names req.hdr_val url url32 url_ip ' +
    'url_port url_param urlp urlp_val',
);
add(`${RQ},${RS}`, 'cookie hdr');
add(
  RS,
  'res.ver resp_ver res.body res.body_len res.body_size res.hdrs res.hdrs_bin res.cook res.cook_cnt ' +
    'res.cook_val res.fhdr res.fhdr_cnt res.hdr res.hdr_cnt res.hdr_ip res.hdr_names res.hdr_val scook ' +
    'scook_cnt scook_val shdr shdr_cnt shdr_ip shdr_val',
);
add(
  L6Q,
  'rdp_cookie rdp_cookie_cnt req_len req_ssl_hello_type req_ssl_sni req_ssl_ver req.len req.payload ' +
    'req.payload_lv req.rdp_cookie req.rdp_cookie_cnt req.ssl_ec_ext req.ssl_st_ext req.ssl_hello_type ' +
    'req.ssl_sni req.ssl_alpn req.ssl_ver',
);
add(L6S, 'rep_ssl_hello_type res.len res.payload res.payload_lv res.ssl_hello_type');
add(`${L6Q},${L6S}`, 'distcc_body distcc_param payload payload_lv');

/** What a fetch needs that log time lacks (HAProxy's source names), or undefined when it may be logged. */
export function unavailableAtLogTime(fetch: string): string | undefined {
  return NEEDS.get(fetch);
}
