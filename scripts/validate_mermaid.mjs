#!/usr/bin/env node
// Validates Mermaid diagrams with Mermaid's own parser, in plain Node (no browser).
//
//   node scripts/validate_mermaid.mjs FILE...   a .md/.markdown file: every ```mermaid block;
//                                               any other file: the whole file is one diagram
//   node scripts/validate_mermaid.mjs [-]       one diagram (or Markdown) from stdin
//   node scripts/validate_mermaid.mjs --json    stdin: a JSON array of diagram texts;
//                                               stdout: a JSON array, null or the error per text
//
// Prints "ok FILE" or "FILE[:LINE]: <parser error>" per file; exits 1 if any diagram is
// invalid, 2 on a usage or read error.
//
// mermaid.parse() runs the real grammar (the flowchart jison parser, the langium parsers of
// newer diagram types) and then fills the diagram's database, which passes labels through
// DOMPurify. DOMPurify binds to `window` when it is first imported and has no addHook/sanitize
// without one, so a jsdom window is installed before mermaid is loaded. Nothing renders.
import { readFileSync } from "node:fs";

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*mermaid\b[^\n]*\n([\s\S]*?)^ {0,3}\2[`~]*[ \t]*$/gm;

/** The ```mermaid blocks of a Markdown text, each with the line number of its fence. */
function mermaidBlocks(markdown) {
  const blocks = [];
  for (const match of markdown.matchAll(FENCE)) {
    const line = markdown.slice(0, match.index).split("\n").length;
    const indent = match[1].length;
    const body = match[3].split("\n").map((l) => l.slice(Math.min(indent, l.search(/\S|$/)))).join("\n");
    blocks.push({ line, text: body });
  }
  return blocks;
}

async function loadMermaid() {
  const { JSDOM } = await import("jsdom");
  globalThis.window = new JSDOM("").window; // read by DOMPurify at import time
  const { default: mermaid } = await import("mermaid");
  return mermaid;
}

/** null when `text` parses, else the parser's message. */
async function parseError(mermaid, text) {
  try {
    await mermaid.parse(text);
    return null;
  } catch (error) {
    return String(error?.message ?? error).trim() || String(error);
  }
}

function readInput(path) {
  return readFileSync(path === "-" ? 0 : path, "utf8");
}

function isMarkdown(path, text) {
  return path === "-" ? /^ {0,3}(`{3,}|~{3,})\s*mermaid\b/m.test(text) : /\.(md|markdown|mdx)$/i.test(path);
}

async function validateFiles(mermaid, paths) {
  let invalid = 0;
  for (const path of paths) {
    const text = readInput(path);
    const name = path === "-" ? "<stdin>" : path;
    const blocks = isMarkdown(path, text) ? mermaidBlocks(text) : [{ line: 0, text }];
    const errors = [];
    for (const block of blocks) {
      const error = await parseError(mermaid, block.text);
      if (error) errors.push(`${name}${block.line ? `:${block.line}` : ""}: ${error}`);
    }
    if (errors.length) {
      invalid += errors.length;
      console.log(errors.join("\n"));
    } else {
      console.log(`ok ${name}`);
    }
  }
  return invalid;
}

async function validateJson(mermaid) {
  const texts = JSON.parse(readInput("-"));
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string")) {
    throw new Error("--json expects a JSON array of strings on stdin");
  }
  const errors = [];
  for (const text of texts) errors.push(await parseError(mermaid, text));
  process.stdout.write(JSON.stringify(errors) + "\n");
  return errors.filter((e) => e !== null).length;
}

async function main(args) {
  if (args.includes("-h") || args.includes("--help")) {
    console.log("usage: validate_mermaid.mjs [--json | FILE... | -]");
    return 0;
  }
  const mermaid = await loadMermaid();
  const invalid = args[0] === "--json" ? await validateJson(mermaid) : await validateFiles(mermaid, args.length ? args : ["-"]);
  return invalid ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { console.error(`validate_mermaid: ${error.message}`); process.exitCode = 2; },
);
