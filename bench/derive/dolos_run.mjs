// Run Dolos (npm @dodona/dolos-lib) over a benchmark manifest, one
// analysis per language (Dolos analyses one language at a time), and
// write every pair it reports as
//   i <TAB> j <TAB> similarity <TAB> leftCovered/leftTotal
//     <TAB> rightCovered/rightTotal <TAB> longest
// with i, j manifest line numbers (from 0).  Dolos' default parameters
// (k-gram 23 tokens, window 17) are used.
//
//   node dolos_run.mjs MANIFEST > pairs.tsv
import { readFileSync } from "node:fs";
import { Dolos } from "@dodona/dolos-lib";

const DOLOS_LANG = { python: "python", c: "c", shell: "bash" };

const manifest = readFileSync(process.argv[2], "utf8").split("\n")
  .filter((l) => l.length > 0).map((l) => l.split("\t"));
const index = new Map(manifest.map(([, p], i) => [p, i]));
const byLang = new Map();
for (const [lang, path] of manifest) {
  if (!byLang.has(lang)) byLang.set(lang, []);
  byLang.get(lang).push(path);
}
const out = [];
for (const [lang, paths] of byLang) {
  const dolos = new Dolos({ language: DOLOS_LANG[lang] ?? lang });
  const report = await dolos.analyzePaths(paths);
  for (const pair of report.allPairs()) {
    const i = index.get(pair.leftFile.path);
    const j = index.get(pair.rightFile.path);
    const lc = pair.leftTotal ? pair.leftCovered / pair.leftTotal : 0;
    const rc = pair.rightTotal ? pair.rightCovered / pair.rightTotal : 0;
    out.push(`${i}\t${j}\t${pair.similarity.toFixed(4)}\t${lc.toFixed(4)}` +
      `\t${rc.toFixed(4)}\t${pair.longest}`);
  }
}
process.stdout.write(out.join("\n") + "\n");
