import { stringify } from 'yaml';
import { huggingFaceFeatures, type FeatureField } from './datasetFeatures.ts';

/** One configuration of the dataset folder: which files, what columns, how many rows. */
export interface CardConfig {
  name: string;
  /** Glob or path relative to the folder. */
  dataFiles: string;
  features: readonly FeatureField[];
  /** Rows it holds; a configuration with none is not listed by the store (`datasets` cannot read one). */
  rows: number;
  /** The configuration `load_dataset(<folder>)` reads. */
  default?: boolean;
}

/** What the front matter says besides the configurations. */
export interface CardFrontMatterOptions {
  prettyName: string;
  /** Rows of the default configuration: the size category. */
  size: number;
}

/**
 * The YAML front matter that makes the dataset folder a Hugging Face dataset repository: one entry of
 * `configs` per configuration (its `data_files` under split `train`), its columns under `dataset_info`
 * (the declared types, so nothing is inferred), license, task categories, language, size category.
 * @example renderCardFrontMatter([{ name: 'default', dataFiles: 'data/accepted-*.parquet', features, rows: 96, default: true }], { prettyName: 'medistill', size: 96 })
 */
export function renderCardFrontMatter(configs: readonly CardConfig[], options: CardFrontMatterOptions): string {
  const header = {
    pretty_name: options.prettyName,
    // Abstracts and the records' metadata are NLM's, under its terms; the items quote them.
    license: 'other',
    license_name: 'nlm-pubmed-terms',
    license_link: 'https://www.nlm.nih.gov/databases/download/terms_and_conditions.html',
    language: ['en'],
    task_categories: ['question-answering'],
    task_ids: ['closed-domain-qa', 'multiple-choice-qa'],
    size_categories: [sizeCategory(options.size)],
    tags: ['biology', 'medical', 'pubmed', 'mesh', 'synthetic'],
    configs: configs.map((c) => ({
      config_name: c.name,
      ...(c.default ? { default: true } : {}),
      data_files: [{ split: 'train', path: c.dataFiles }],
    })),
    dataset_info: configs.map((c) => ({
      config_name: c.name,
      features: huggingFaceFeatures(c.features),
    })),
  };
  return `---\n${stringify(header, { lineWidth: 0 })}---\n`;
}

/** The Hub's size category of a dataset with `n` rows. */
export function sizeCategory(n: number): string {
  const bounds: [number, string][] = [
    [1e3, 'n<1K'],
    [1e4, '1K<n<10K'],
    [1e5, '10K<n<100K'],
    [1e6, '100K<n<1M'],
    [1e7, '1M<n<10M'],
    [1e8, '10M<n<100M'],
    [1e9, '100M<n<1B'],
    [1e12, '1B<n<1T'],
  ];
  for (const [bound, label] of bounds) if (n < bound) return label;
  return 'n>1T';
}
