import { Command, InvalidArgumentError } from 'commander';
import { buildRequest, curlLine, DEFAULT_BASE_URL, findExample, loadExamples } from './examples';

/**
 * `npx tsx local/demo/send-example.ts <kind>`: sends the example of docs/examples/sources.json for a
 * sender kind to local mode, signed now the way that sender signs, and prints the answer.
 * `--print` prints the equivalent curl line instead (its signature is valid for about 5 minutes).
 */

function baseUrl(value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://127.0.0.1:3000');
  }
}

export async function main(argv: readonly string[], out: (text: string) => void = (text) => process.stdout.write(`${text}\n`)): Promise<number> {
  const examples = loadExamples();
  const kinds = examples.map((example) => example.kind);
  let exitCode = 0;
  const program = new Command('send-example')
    .description('Send the documented example of a sender kind to local mode (npm start).')
    .argument('<kind>', `one of ${kinds.join(', ')}`)
    .option('--url <url>', 'local mode URL', baseUrl, process.env['PORT'] ? `http://127.0.0.1:${process.env['PORT']}` : DEFAULT_BASE_URL)
    .option('--print', 'print the signed curl line instead of sending')
    .exitOverride()
    .action(async (kind: string, options: { url: string; print?: boolean }) => {
      const example = findExample(examples, kind);
      if (!example) return program.error(`send-example: unknown kind "${kind}": use one of ${kinds.join(', ')}`, { exitCode: 2 });
      if (options.print) {
        out(curlLine(example, options.url));
        return;
      }
      const request = buildRequest(example, options.url);
      let response: Response;
      try {
        response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' });
      } catch (error) {
        const cause = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
        return program.error(`send-example: ${request.method} ${request.url} failed (${cause}). Is local mode running (npm start)?`, { exitCode: 1 });
      }
      out(
        `${request.method} ${request.url} -> ${response.status}${response.headers.get('location') ? ` (Location: ${response.headers.get('location')})` : ''}`,
      );
      const text = await response.text();
      if (text) out(text);
      out(`expected: ${example.expect.status}, ${example.expect.outcome}`);
      exitCode = response.status === example.expect.status ? 0 : 1;
    });
  await program.parseAsync([...argv], { from: 'user' });
  return exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      const code = (error as { exitCode?: number }).exitCode;
      if (typeof code !== 'number') process.stderr.write(`send-example: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = typeof code === 'number' ? code : 1;
    },
  );
}
