// What the forwarding engine builds at run time (variable stores, userlists), without the
// fetch, converter and ACL tables.
// (package.json exports it as "@hap/sample/engine"; everything here is in index.ts too)

export { createUserlist } from './auth/userlist.ts';
export { createVarStore } from './vars.ts';
