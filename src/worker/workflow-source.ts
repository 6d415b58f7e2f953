import { readFile } from 'node:fs/promises';

/**
 * Workflow code for Worker.create: a prebuilt bundle when WORKFLOW_BUNDLE_PATH points at one (tests
 * bundle once for the whole suite; the Docker image bundles at build time), else the sources.
 */
export async function workflowSource(): Promise<{ workflowBundle: { code: string } } | { workflowsPath: string }> {
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  if (bundlePath) return { workflowBundle: { code: await readFile(bundlePath, 'utf8') } };
  return { workflowsPath: require.resolve('../workflows') };
}
