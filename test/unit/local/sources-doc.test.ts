import { readFileSync } from 'node:fs';
import { loadExamples } from '../../../local/demo/examples';
import { END_MARKER, renderExamples, SOURCES_DOC, START_MARKER, withExamples } from '../../../local/demo/write-examples-doc';

/** docs/sources.md shows docs/examples/sources.json as `npm run docs:examples` renders it. */

describe('docs/sources.md examples', () => {
  it('is up to date with docs/examples/sources.json (run npm run docs:examples)', () => {
    // Arrange
    const doc = readFileSync(SOURCES_DOC, 'utf8');

    // Act
    const rendered = withExamples(doc, renderExamples());

    // Assert
    expect(doc).toBe(rendered);
  });

  it('shows every example with its body and the line to paste', () => {
    // Act
    const rendered = renderExamples();

    // Assert
    for (const example of loadExamples()) {
      expect(rendered).toContain(`### ${example.title}`);
      expect(rendered).toContain(`\`${example.sourceId}\``);
      if (example.expect.customer) expect(rendered).toContain(example.expect.customer.email);
    }
  });

  it('replaces only the section between the markers, and names the markers when one is missing', () => {
    // Arrange
    const doc = `# Title\n\nBefore.\n\n${START_MARKER}\nstale\n${END_MARKER}\n\nAfter.\n`;

    // Act
    const updated = withExamples(doc, 'fresh');

    // Assert
    expect(updated).toBe(`# Title\n\nBefore.\n\n${START_MARKER}\nfresh\n${END_MARKER}\n\nAfter.\n`);
    expect(withExamples(updated, 'fresh')).toBe(updated);
    expect(() => withExamples('# Title\n', 'fresh')).toThrow(`docs/sources.md needs the markers ${START_MARKER} and ${END_MARKER}`);
  });
});
