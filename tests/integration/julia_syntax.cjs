// julia_syntax.cjs - parses .jl files with tree-sitter's Julia grammar; exits 1 naming every ERROR or MISSING node.
// usage: node julia_syntax.cjs NODE_MODULES_DIR FILE.jl...
'use strict';
const path = require('path');
const fs = require('fs');

async function main() {
    const [modules, ...files] = process.argv.slice(2);
    const { Parser, Language } = require(require.resolve('web-tree-sitter', { paths: [modules] }));
    await Parser.init();
    const julia = await Language.load(path.join(modules, 'tree-sitter-julia', 'tree-sitter-julia.wasm'));
    const parser = new Parser();
    parser.setLanguage(julia);
    let bad = 0;
    for (const file of files) {
        const tree = parser.parse(fs.readFileSync(file, 'utf8'));
        const problems = [];
        const walk = (node) => {
            if (node.isError || node.type === 'ERROR' || node.isMissing) {
                problems.push(`${file}:${node.startPosition.row + 1}:${node.startPosition.column + 1}: ` +
                              `${node.isMissing ? 'MISSING ' + node.type : 'ERROR'}`);
                if (problems.length > 20) return;
            }
            if (!node.hasError && !node.isMissing) return;
            for (let i = 0; i < node.childCount; i++) walk(node.child(i));
        };
        walk(tree.rootNode);
        if (problems.length) {
            bad++;
            console.log(problems.join('\n'));
        } else {
            console.log(`${file}: parsed, ${tree.rootNode.descendantCount} nodes, no ERROR or MISSING node`);
        }
    }
    process.exit(bad ? 1 : 0);
}
main().catch((e) => { console.error(e.stack || String(e)); process.exit(2); });
