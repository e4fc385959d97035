// The admin CLI over the same service functions as /v1/admin:
//   switchyard accounts create --name NAME
//   switchyard accounts credit ACCOUNT_ID --amount 10.00 [--reason TEXT]
//   switchyard accounts show ACCOUNT_ID
//   switchyard keys create --account ACCOUNT_ID --name NAME [--budget 5 --period day|month] [--rpm N] [--tpm N]
//                          [--tasks chat,ocr] [--models a/b,c/d] [--providers groq,openai] [--expires ISO-8601]
//   switchyard keys list [--account ACCOUNT_ID]
//   switchyard keys revoke KEY_ID
//   switchyard usage --account ACCOUNT_ID [--start DATE] [--end DATE] [--group-by day|model|provider|task|key]
// It opens the database named by DATABASE_URL (or the embedded one under DATA_DIR: stop the gateway
// first, since the embedded database takes one process at a time — or use the HTTP admin API).
import { parseArgs } from 'node:util';
import { createAccount, createKey, keyJson, revokeKey } from '../billing/keys';
import { credit, getBalance } from '../billing/ledger';
import { usageTotals } from '../billing/usage';
import { parseUsd } from '../catalog/price';
import { loadConfig } from '../config';
import { openDatabase } from '../db/connect';
import { migrateToLatest } from '../db/migrate';
import { toHttpError } from '../http/errors';
import { accountJson } from '../http/admin';

const list = (value: string | undefined) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

async function run(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      account: { type: 'string' },
      amount: { type: 'string' },
      reason: { type: 'string' },
      budget: { type: 'string' },
      period: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      tasks: { type: 'string' },
      models: { type: 'string' },
      providers: { type: 'string' },
      expires: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      'group-by': { type: 'string' },
    },
  });
  const [noun, verb, id] = positionals;
  const config = loadConfig();
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const db = database.db;
  try {
    await migrateToLatest(db);
    const command = `${noun ?? ''} ${noun === 'usage' ? '' : (verb ?? '')}`.trim();
    switch (command) {
      case 'accounts create': {
        const account = await createAccount(db, values.name ?? 'unnamed');
        return accountJson(account, await getBalance(db, account.id));
      }
      case 'accounts credit': {
        if (!id || !values.amount) throw new Error('usage: switchyard accounts credit ACCOUNT_ID --amount 10.00');
        await credit(db, { accountId: id, amountMicros: parseUsd(values.amount), kind: 'grant', reason: values.reason ?? 'cli credit' });
        const account = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        return accountJson(account, await getBalance(db, id));
      }
      case 'accounts show': {
        const account = await db.selectFrom('accounts').selectAll().where('id', '=', id ?? '').executeTakeFirstOrThrow();
        return accountJson(account, await getBalance(db, account.id));
      }
      case 'keys create': {
        const { key, row } = await createKey(db, {
          account_id: values.account,
          name: values.name ?? 'cli key',
          budget_usd: values.budget,
          budget_period: values.period,
          rate_limit_rpm: values.rpm ? Number(values.rpm) : undefined,
          rate_limit_tpm: values.tpm ? Number(values.tpm) : undefined,
          allowed_tasks: list(values.tasks),
          allowed_models: list(values.models),
          allowed_providers: list(values.providers),
          expires_at: values.expires,
        });
        return { ...keyJson(row), key };
      }
      case 'keys list': {
        let query = db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc');
        if (values.account) query = query.where('account_id', '=', values.account);
        return (await query.execute()).map(keyJson);
      }
      case 'keys revoke':
        return keyJson(await revokeKey(db, id ?? ''));
      case 'usage':
        if (!values.account) throw new Error('usage: switchyard usage --account ACCOUNT_ID');
        return await usageTotals(db, values.account, { start: values.start, end: values.end, group_by: values['group-by'] });
      default:
        throw new Error('commands: accounts create|credit|show, keys create|list|revoke, usage (see src/cli/main.ts)');
    }
  } finally {
    await database.close();
  }
}

run(process.argv.slice(2)).then(
  (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
  (error) => {
    const http = toHttpError(error);
    const message = http.status === 500 && error instanceof Error ? error.message : http.body.error.message;
    process.stderr.write(`switchyard: ${message}\n`);
    process.exitCode = 1;
  },
);
