/** Names of proxies, servers, ACLs and sections: HAProxy accepts letters, digits and `.`, `_`, `:`, `-`. */

const NAME_CHAR = /[A-Za-z0-9._:-]/;

/** The first character HAProxy refuses in `name`, or undefined when the name is fine. */
export function invalidNameChar(name: string): string | undefined {
  for (const ch of name) {
    if (!NAME_CHAR.test(ch)) return ch;
  }
  return undefined;
}
