import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitYesNoLabeller } from './fitYesNoLabeller.ts';
import { readPubmedqaFile } from './pubmedqaFile.ts';

/**
 * Refits the shipped yes/no/maybe labeller on a PQA-L file (`npm run labeller:fit -- <ori_pqal.json>`)
 * and writes services/eval/yesNoLabellerModel.json. Run bench/pubmedqaQuality.ts after it: its
 * cross-validated figures are the ones to report.
 */
async function main(): Promise<void> {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write('usage: npm run labeller:fit -- <PQA-L file, e.g. ori_pqal.json>\n');
    process.exitCode = 2;
    return;
  }
  const { items, failures } = await readPubmedqaFile(path);
  const model = fitYesNoLabeller(items, `pubmedqa:${basename(path)}`);
  const out = fileURLToPath(new URL('./yesNoLabellerModel.json', import.meta.url));
  await writeFile(out, `${JSON.stringify(model)}\n`);
  process.stdout.write(`fitted on ${model.fittedOn.items} items (${failures.length} unusable) → ${out}\n`);
}

await main();
