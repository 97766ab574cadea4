import './env';
import { dataDirOf, noRunningGatewayMessage, runningGateway } from './running';

/**
 * `npm run --silent url`: the base URL of the `npm start` running on DATA_DIR (default `.local`),
 * alone on stdout, for `GW=$(npm run --silent url)` in a fresh terminal; else one sentence on
 * stderr and exit 1 (no stack, nothing on stdout).
 */
const USAGE = `usage: npm run --silent url
Prints the base URL of the npm start running on DATA_DIR (default .local), found through
DATA_DIR/gateway.json; exits 1 with one sentence on stderr when none runs there.`;

function main(): number {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 0) {
    console.error(`Unknown argument ${JSON.stringify(args[0])}.\n\n${USAGE}`);
    return 2;
  }
  const running = runningGateway(dataDirOf());
  if (!running) {
    console.error(noRunningGatewayMessage(dataDirOf()));
    return 1;
  }
  console.log(running.url);
  return 0;
}

process.exitCode = main();
