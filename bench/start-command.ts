// `npm start`'s last command as package.json has it (`NAME=value … node <flags> <script>`): what the
// benchmark and the start-up tests run, so they run the gateway exactly as users start it.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface StartCommand {
  /** Variables the command sets for Node (glibc's malloc tuning). */
  env: Record<string, string>;
  /** Node's flags before the script. */
  flags: string[];
  script: string;
}

export function startCommand(root = '.'): StartCommand {
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = scripts.start.split(' && ').at(-1)!.split(' ');
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
    const [name, value] = words.shift()!.split(/=(.*)/);
    env[name!] = value!;
  }
  if (words.shift() !== 'node') throw new Error(`npm start's last command does not run node: ${scripts.start}`);
  return { env, flags: words.slice(0, -1), script: words.at(-1)! };
}
