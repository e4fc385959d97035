// Reading usage back: totals over a range grouped by day, model, provider, task or key, and the
// events themselves, newest first, cursor-paged. Always scoped to one account.
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { formatUsd } from '../catalog/price';
import type { Database, UsageEvent } from '../db/schema';
import { InvalidRequest } from '../errors';

const Instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((v) => new Date(v));

export const UsageQuery = z.object({
  start: Instant.optional(),
  end: Instant.optional(),
  group_by: z.enum(['day', 'model', 'provider', 'task', 'key']).default('day'),
});

export const UsageEventsQuery = z.object({
  start: Instant.optional(),
  end: Instant.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

const DEFAULT_RANGE_DAYS = 30;

function range(start?: Date, end?: Date): { start: Date; end: Date } {
  const to = end ?? new Date();
  const from = start ?? new Date(to.getTime() - DEFAULT_RANGE_DAYS * 86_400_000);
  if (from > to) throw new InvalidRequest('start must be before end.', 'start');
  return { start: from, end: to };
}

export async function usageTotals(db: Kysely<Database>, accountId: string, raw: unknown) {
  const query = UsageQuery.parse(raw);
  const { start, end } = range(query.start, query.end);
  const group =
    query.group_by === 'day'
      ? sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`
      : query.group_by === 'key'
        ? sql<string>`key_id`
        : sql<string>`${sql.ref(query.group_by)}`;
  const rows = await db
    .selectFrom('usage_events')
    .select([
      group.as('group'),
      sql<number>`count(*)::int`.as('jobs'),
      sql<number>`coalesce(sum(cost_micros), 0)::bigint`.as('cost_micros'),
    ])
    .where('account_id', '=', accountId)
    .where('created_at', '>=', start)
    .where('created_at', '<', end)
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    .execute();
  const total = rows.reduce((sum, r) => sum + Number(r.cost_micros), 0);
  return {
    object: 'usage',
    start: start.toISOString(),
    end: end.toISOString(),
    group_by: query.group_by,
    total_cost_usd: formatUsd(total),
    total_jobs: rows.reduce((sum, r) => sum + r.jobs, 0),
    data: rows.map((r) => ({ [query.group_by]: r.group, jobs: r.jobs, cost_usd: formatUsd(Number(r.cost_micros)) })),
  };
}

/**
 * Cursor = base64url of "<created_at>|<request_id>" of the last event returned. The time keeps the
 * database's microseconds: a JS Date's milliseconds would skip events later in the same millisecond.
 */
function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!id || !at || !/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(at) || Number.isNaN(Date.parse(at))) {
    throw new InvalidRequest('Invalid cursor.', 'cursor');
  }
  return { at, id };
}

function encodeCursor(event: { cursor_at: string; request_id: string }): string {
  return Buffer.from(`${event.cursor_at}|${event.request_id}`).toString('base64url');
}

export async function usageEvents(db: Kysely<Database>, accountId: string, query: z.output<typeof UsageEventsQuery>) {
  let q = db
    .selectFrom('usage_events')
    .selectAll()
    .select(sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('cursor_at'))
    .where('account_id', '=', accountId);
  if (query.start) q = q.where('created_at', '>=', query.start);
  if (query.end) q = q.where('created_at', '<', query.end);
  if (query.cursor) {
    const { at, id } = decodeCursor(query.cursor);
    q = q.where(sql<boolean>`(created_at, request_id) < (${at}::timestamptz, ${id})`);
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('request_id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const hasMore = rows.length > query.limit;
  return { events: page, hasMore, nextCursor: hasMore ? encodeCursor(page.at(-1)!) : null };
}

export function eventJson(e: UsageEvent) {
  return {
    request_id: e.request_id,
    created_at: new Date(e.created_at).toISOString(),
    key_id: e.key_id,
    task: e.task,
    model: e.model,
    provider: e.provider,
    provider_model_id: e.provider_model_id,
    units: e.units,
    cost_usd: formatUsd(e.cost_micros),
    latency_ms: e.latency_ms,
    status: e.status,
    attempts: e.attempts,
  };
}

const CSV_COLUMNS = ['request_id', 'created_at', 'key_id', 'task', 'model', 'provider', 'provider_model_id', 'units', 'cost_usd', 'latency_ms', 'status', 'attempts'] as const;

function csvField(value: unknown): string {
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Quote always; a leading =,+,-,@ is neutralised so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function eventsCsv(events: UsageEvent[], withHeader: boolean): string {
  const lines = events.map((e) => {
    const row = eventJson(e);
    return CSV_COLUMNS.map((c) => csvField(row[c])).join(',');
  });
  return `${withHeader ? `${CSV_COLUMNS.join(',')}\n` : ''}${lines.join('\n')}${lines.length ? '\n' : ''}`;
}
