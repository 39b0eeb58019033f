// Signs a body with the official retell-sdk, exactly as Retell signs its requests.
// Usage: node retell-sign.cjs <api-key> <body-file>   → prints the X-Retell-Signature value.
const fs = require('fs');
const { Retell } = require('retell-sdk');

async function main() {
  const [key, bodyFile] = process.argv.slice(2);
  if (!key || !bodyFile) {
    console.error('usage: node retell-sign.cjs <api-key> <body-file>');
    process.exit(2);
  }
  const body = fs.readFileSync(bodyFile, 'utf8');
  process.stdout.write(await Retell.sign(body, key));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
