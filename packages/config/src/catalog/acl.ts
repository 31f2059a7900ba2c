// Generated from HAProxy 2.6 (haproxy -dKall of 2.6.12, v2.6.0 sources, configuration.txt).
// Regenerate by hand from those sources; conventions are described in index.ts.

export interface AclKeyword {
  name: string;
  /** Sample fetch the alias reads. */
  fetch: string;
  /** Match method it implies ('-m <match>'). */
  match: string;
}

/** ACL-only aliases of sample fetches (any sample fetch name can also be used in an ACL). */
export const ACL_KEYWORDS: readonly AclKeyword[] = [
  { name: 'base', fetch: 'base', match: 'str' },
  { name: 'base_beg', fetch: 'base', match: 'beg' },
  { name: 'base_dir', fetch: 'base', match: 'dir' },
  { name: 'base_dom', fetch: 'base', match: 'dom' },
  { name: 'base_end', fetch: 'base', match: 'end' },
  { name: 'base_len', fetch: 'base', match: 'len' },
  { name: 'base_reg', fetch: 'base', match: 'reg' },
  { name: 'base_sub', fetch: 'base', match: 'sub' },
  { name: 'cook', fetch: 'req.cook', match: 'str' },
  { name: 'cook_beg', fetch: 'req.cook', match: 'beg' },
  { name: 'cook_dir', fetch: 'req.cook', match: 'dir' },
  { name: 'cook_dom', fetch: 'req.cook', match: 'dom' },
  { name: 'cook_end', fetch: 'req.cook', match: 'end' },
  { name: 'cook_len', fetch: 'req.cook', match: 'len' },
  { name: 'cook_reg', fetch: 'req.cook', match: 'reg' },
  { name: 'cook_sub', fetch: 'req.cook', match: 'sub' },
  { name: 'hdr', fetch: 'req.hdr', match: 'str' },
  { name: 'hdr_beg', fetch: 'req.hdr', match: 'beg' },
  { name: 'hdr_dir', fetch: 'req.hdr', match: 'dir' },
  { name: 'hdr_dom', fetch: 'req.hdr', match: 'dom' },
  { name: 'hdr_end', fetch: 'req.hdr', match: 'end' },
  { name: 'hdr_len', fetch: 'req.hdr', match: 'len' },
  { name: 'hdr_reg', fetch: 'req.hdr', match: 'reg' },
  { name: 'hdr_sub', fetch: 'req.hdr', match: 'sub' },
  { name: 'http_auth_group', fetch: 'http_auth_group', match: 'str' },
  { name: 'method', fetch: 'method', match: 'str' },
  { name: 'path', fetch: 'path', match: 'str' },
  { name: 'path_beg', fetch: 'path', match: 'beg' },
  { name: 'path_dir', fetch: 'path', match: 'dir' },
  { name: 'path_dom', fetch: 'path', match: 'dom' },
  { name: 'path_end', fetch: 'path', match: 'end' },
  { name: 'path_len', fetch: 'path', match: 'len' },
  { name: 'path_reg', fetch: 'path', match: 'reg' },
  { name: 'path_sub', fetch: 'path', match: 'sub' },
  { name: 'payload', fetch: 'req.payload', match: 'bin' },
  { name: 'payload_lv', fetch: 'req.payload_lv', match: 'bin' },
  { name: 'req.ssl_ver', fetch: 'req.ssl_ver', match: 'int' },
  { name: 'req_rdp_cookie', fetch: 'req.rdp_cookie', match: 'str' },
  { name: 'req_rdp_cookie_cnt', fetch: 'req.rdp_cookie_cnt', match: 'int' },
  { name: 'req_ssl_sni', fetch: 'req.ssl_sni', match: 'str' },
  { name: 'req_ssl_ver', fetch: 'req.ssl_ver', match: 'int' },
  { name: 'req_ver', fetch: 'req.ver', match: 'str' },
  { name: 'resp_ver', fetch: 'res.ver', match: 'str' },
  { name: 'scook', fetch: 'res.cook', match: 'str' },
  { name: 'scook_beg', fetch: 'res.cook', match: 'beg' },
  { name: 'scook_dir', fetch: 'res.cook', match: 'dir' },
  { name: 'scook_dom', fetch: 'res.cook', match: 'dom' },
  { name: 'scook_end', fetch: 'res.cook', match: 'end' },
  { name: 'scook_len', fetch: 'res.cook', match: 'len' },
  { name: 'scook_reg', fetch: 'res.cook', match: 'reg' },
  { name: 'scook_sub', fetch: 'res.cook', match: 'sub' },
  { name: 'shdr', fetch: 'res.hdr', match: 'str' },
  { name: 'shdr_beg', fetch: 'res.hdr', match: 'beg' },
  { name: 'shdr_dir', fetch: 'res.hdr', match: 'dir' },
  { name: 'shdr_dom', fetch: 'res.hdr', match: 'dom' },
  { name: 'shdr_end', fetch: 'res.hdr', match: 'end' },
  { name: 'shdr_len', fetch: 'res.hdr', match: 'len' },
  { name: 'shdr_reg', fetch: 'res.hdr', match: 'reg' },
  { name: 'shdr_sub', fetch: 'res.hdr', match: 'sub' },
  { name: 'ssl_fc_sni_end', fetch: 'ssl_fc_sni', match: 'end' },
  { name: 'ssl_fc_sni_reg', fetch: 'ssl_fc_sni', match: 'reg' },
  { name: 'url', fetch: 'url', match: 'str' },
  { name: 'url_beg', fetch: 'url', match: 'beg' },
  { name: 'url_dir', fetch: 'url', match: 'dir' },
  { name: 'url_dom', fetch: 'url', match: 'dom' },
  { name: 'url_end', fetch: 'url', match: 'end' },
  { name: 'url_len', fetch: 'url', match: 'len' },
  { name: 'url_reg', fetch: 'url', match: 'reg' },
  { name: 'url_sub', fetch: 'url', match: 'sub' },
  { name: 'urlp', fetch: 'urlp', match: 'str' },
  { name: 'urlp_beg', fetch: 'urlp', match: 'beg' },
  { name: 'urlp_dir', fetch: 'urlp', match: 'dir' },
  { name: 'urlp_dom', fetch: 'urlp', match: 'dom' },
  { name: 'urlp_end', fetch: 'urlp', match: 'end' },
  { name: 'urlp_len', fetch: 'urlp', match: 'len' },
  { name: 'urlp_reg', fetch: 'urlp', match: 'reg' },
  { name: 'urlp_sub', fetch: 'urlp', match: 'sub' },
];

/** Match methods usable with '-m'. */
export const ACL_MATCH_METHODS: readonly string[] = [
  'beg',
  'bin',
  'bool',
  'dir',
  'dom',
  'end',
  'found',
  'int',
  'ip',
  'len',
  'reg',
  'str',
  'sub',
];

/** Flags accepted between an ACL criterion and its values. */
export const ACL_FLAGS: readonly string[] = ['--', '-M', '-f', '-i', '-m', '-n', '-u'];

/** Integer comparison operators of ACL values. */
export const ACL_INT_OPERATORS: readonly string[] = ['eq', 'ge', 'gt', 'le', 'lt'];

/** Predefined ACL names. */
export const PREDEFINED_ACLS: readonly string[] = [
  'FALSE',
  'HTTP',
  'HTTP_1.0',
  'HTTP_1.1',
  'HTTP_2.0',
  'HTTP_CONTENT',
  'HTTP_URL_ABS',
  'HTTP_URL_SLASH',
  'HTTP_URL_STAR',
  'LOCALHOST',
  'METH_CONNECT',
  'METH_DELETE',
  'METH_GET',
  'METH_HEAD',
  'METH_OPTIONS',
  'METH_POST',
  'METH_PUT',
  'METH_TRACE',
  'RDP_COOKIE',
  'REQ_CONTENT',
  'TRUE',
  'WAIT_END',
];
