// Pattern references: one per file name, shared by map converters and `-f` ACLs; inline ones
// per ACL expression; entries with ids and versions; changes seen by the next lookup.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@hap/testkit';
import { useTestkit } from '@hap/testkit/vitest';
import { describe, expect, it } from 'vitest';
import {
  type CompileOptions,
  compileAcl,
  compileAclFrom,
  compileSampleExpr,
  PATTERN_REFS,
  type PatRef,
  REF_ACL,
  REF_MAP,
  REF_SMP,
  type SampleEnv,
} from '../src/index.ts';
import { envOf, messageOf } from './harness.ts';

useTestkit();

function env(path: string, src = '10.1.2.3'): SampleEnv {
  return envOf({
    src,
    srcPort: 40000,
    dst: '127.0.0.1',
    dstPort: 80,
    proxy: 'fe',
    req: messageOf(`GET ${path} HTTP/1.1`, [['Host', ' www.example.com']]),
  });
}

function file(name: string, text: string): string {
  const p = join(tempDir(), name);
  writeFileSync(p, text);
  return p;
}

const opts = (line: number): CompileOptions => ({ file: 'cfg', line, resolvePath: (p) => p });

function ref(name: string): PatRef {
  const r = PATTERN_REFS.lookup(name);
  if (!r) throw new Error(`no reference ${name}`);
  return r;
}

describe('pattern references', () => {
  it('share one file between map converters and a -M ACL; a change is seen by all of them', () => {
    const f = file('paths.map', '/api one\n/static st\n/api two\n');
    const beg = compileSampleExpr(`path,map_beg(${f},none)`, opts(10));
    const str = compileSampleExpr(`path,map_str(${f},none)`, opts(11));
    const acl = compileAcl(['path_beg', '-M', '-f', f], opts(12));
    const r = ref(f);
    expect(r.flags).toBe(REF_MAP | REF_SMP | REF_ACL);
    expect(r.exprs.map((x) => x.method)).toEqual(['beg', 'str', 'beg']);
    // three entries pushed into three expressions
    expect(r.entryCnt).toBe(9);
    expect(beg.eval(env('/api/x'))).toBe('one');
    expect(acl.test(env('/new/x'))).toBe(false);

    r.add(r.currGen, '/new', 'fresh');
    expect(beg.eval(env('/new/x'))).toBe('fresh');
    expect(str.eval(env('/new'))).toBe('fresh');
    expect(acl.test(env('/new/x'))).toBe(true);
    expect(r.entryCnt).toBe(12);

    // duplicate keys: the first is found, then the second once the first is gone
    const first = r.visible().find((e) => e.key === '/api')!;
    expect(r.deleteId(first.id)).toBe(true);
    expect(beg.eval(env('/api/x'))).toBe('two');
    expect(r.deleteKey('/api')).toBe(true);
    expect(r.deleteKey('/api')).toBe(false);
    expect(beg.eval(env('/api/x'))).toBe('none');
    expect(r.entryCnt).toBe(10);

    expect(r.setKey('/static', 'moved')).toBeUndefined();
    expect(str.eval(env('/static'))).toBe('moved');
    expect(r.setKey('/nothing', 'x')).toBe('entry not found');
  });

  it('checks values against every map using the file, as HAProxy does', () => {
    const f = file('int.map', 'a 1\nb 2\n');
    const asInt = compileSampleExpr(`req.hdr(host),map_str_int(${f},0)`, opts(20));
    compileSampleExpr(`req.hdr(host),map_str(${f},none)`, opts(21));
    const r = ref(f);
    expect(r.entryCnt).toBe(4);
    // a refused entry is removed again and costs entry_cnt one (HAProxy's bookkeeping)
    expect(() => r.add(r.currGen, 'c', 'notint')).toThrow("unable to parse 'notint'");
    expect(r.visible().map((e) => e.key)).toEqual(['a', 'b']);
    expect(r.entryCnt).toBe(3);
    // by key, an unparsable value changes nothing and is not reported; by id, it is
    expect(r.setKey('a', 'x')).toBeUndefined();
    expect(r.visible()[0]!.value).toBe('1');
    expect(r.setId(r.visible()[0]!.id, 'x')).toBe("unable to parse 'x'");
    expect(r.setId(r.visible()[0]!.id, '-7')).toBeUndefined();
    expect(asInt.eval(env('/', '1.1.1.1'))).toBe(0);
    const e = envOf({
      src: '1.1.1.1',
      srcPort: 1,
      dst: '127.0.0.1',
      dstPort: 80,
      proxy: 'fe',
      req: messageOf('GET / HTTP/1.1', [['Host', ' a']]),
    });
    expect(asInt.eval(e)).toBe(-7);
  });

  it('keeps versions apart until a commit, and clears one version', () => {
    const f = file('block.lst', '10.0.0.0/8\n');
    const acl = compileAcl(['src', '-f', f], opts(30));
    const r = ref(f);
    expect(acl.test(env('/', '10.9.9.9'))).toBe(true);
    expect(r.newGen()).toBe(1);
    r.add(1, '192.168.0.0/16', undefined);
    expect(acl.test(env('/', '192.168.1.1'))).toBe(false);
    expect(r.visible(1).map((e) => e.key)).toEqual(['192.168.0.0/16']);
    expect(r.commit(2)).toBe(false);
    expect(r.commit(1)).toBe(true);
    expect(r.currGen).toBe(1);
    expect(acl.test(env('/', '192.168.1.1'))).toBe(true);
    expect(acl.test(env('/', '10.9.9.9'))).toBe(false);
    expect(r.entries.length).toBe(1);
    r.purge(1, 1);
    expect(acl.test(env('/', '192.168.1.1'))).toBe(false);
    expect(r.commit(1)).toBe(false);
  });

  it('gives an ACL expression its own reference, shared by the rules using the same line', () => {
    const words = ['src', '10.0.0.1'];
    PATTERN_REFS.declareAcl(words, 'cfg', 40);
    const src = { key: words, file: 'cfg', line: 40 };
    const a = compileAclFrom(words, opts(41), src);
    const b = compileAclFrom(words, opts(42), src);
    const own = PATTERN_REFS.list().find((r) => r.summary().includes("acl 'src' file 'cfg' line 40"))!;
    expect(own.reference).toBeUndefined();
    expect(own.display).toBe("acl 'src' file 'cfg' line 40");
    expect(own.visible().map((e) => e.key)).toEqual(['10.0.0.1']);
    expect(b.test(env('/', '10.0.0.2'))).toBe(false);
    own.add(own.currGen, '10.0.0.2', undefined);
    expect(a.test(env('/', '10.0.0.2'))).toBe(true);
    expect(b.test(env('/', '10.0.0.2'))).toBe(true);
    expect(PATTERN_REFS.lookup(`#${own.uniqueId}`)).toBe(own);
  });

  it('numbers references in the configuration order, whatever the order they were compiled in', () => {
    const registry = PATTERN_REFS;
    registry.reset();
    const late = file('late.map', 'k v\n');
    const early = file('early.lst', '/x\n');
    compileSampleExpr(`path,map(${late})`, opts(50));
    compileAcl(['path_beg', '-f', early], opts(5));
    const list = registry.list();
    expect(list.map((r) => r.display)).toEqual([
      `pattern loaded from file '${early}' used by acl at file 'cfg' line 5`,
      "acl 'path_beg' file 'cfg' line 5",
      `pattern loaded from file '${late}' used by map at file 'cfg' line 50`,
    ]);
    expect(list.map((r) => r.uniqueId)).toEqual([0, 1, 2]);
    expect(registry.lookup('#1')).toBe(list[1]);
    expect(registry.lookup(late)).toBe(list[2]);
    expect(registry.lookup('#x')).toBeUndefined();
  });

  it('refuses a file used both with one and with two columns', () => {
    const f = file('both.lst', 'a b\n');
    compileSampleExpr(`path,map(${f})`, opts(60));
    expect(() => compileAcl(['path', '-f', f], opts(61))).toThrow(
      `The file "${f}" is already used as two column file and cannot be used by as one column file.`,
    );
  });
});
