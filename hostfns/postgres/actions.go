package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/big"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact/hostfns"
)

// Every statement names the target table "t" and qualifies its columns
// with it. SQL text is built only from constants and from identifiers
// that the catalog returned, quoted; every value is a bound parameter.

// query is a statement being built and its parameters.
type query struct {
	args []any
}

// param binds v and returns its placeholder.
func (q *query) param(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// bind converts a JSON value to the parameter for col: nil for null, and
// otherwise text that PostgreSQL converts to the column's type.
func bind(t *table, col *column, raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, invalid("column %s: no value", quote(col.name))
	}
	if string(raw) == "null" {
		return nil, nil
	}
	if col.kind == kindJSON || col.kind == kindJSONB {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, invalid("column %s: %v", quote(col.name), err)
		}
		return b.String(), nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalid("column %s: %v", quote(col.name), err)
		}
		return s, nil
	case 't', 'f':
		return string(raw), nil
	case '{', '[':
		return nil, invalid("column %s of table %s is of type %s: objects and arrays go only into json and jsonb columns",
			quote(col.name), quote(t.name), col.typ)
	}
	n := string(raw)
	if col.kind == kindInt {
		n = integral(n)
	}
	return n, nil
}

// integral rewrites a JSON number with a fraction or exponent that is a
// whole number (3.0, 1e3) as an integer; any other number is returned as
// is.
func integral(n string) string {
	if !strings.ContainsAny(n, ".eE") || len(n) > 64 {
		return n
	}
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(n[i+1:], "+"))
		if err != nil || exp > 40 || exp < -40 {
			return n
		}
	}
	r, ok := new(big.Rat).SetString(n)
	if !ok || !r.IsInt() {
		return n
	}
	return r.Num().String()
}

// ref is a column of the target table in an expression.
func ref(col *column) string { return "t." + col.ident }

// eq is "column = value" (IS NULL for a null value); json columns compare
// as jsonb.
func (q *query) eq(col *column, v any) string {
	switch {
	case v == nil:
		return ref(col) + " IS NULL"
	case col.kind == kindJSON:
		return ref(col) + "::jsonb = " + q.param(v) + "::jsonb"
	}
	return ref(col) + " = " + q.param(v)
}

// same is "column holds value", NULL-safe.
func (q *query) same(col *column, v any) string {
	switch {
	case v == nil:
		return ref(col) + " IS NULL"
	case col.kind == kindJSON:
		return ref(col) + "::jsonb IS NOT DISTINCT FROM " + q.param(v) + "::jsonb"
	}
	return ref(col) + " IS NOT DISTINCT FROM " + q.param(v)
}

// binding is a column and its bound value.
type binding struct {
	col *column
	v   any
}

// bindAll binds a mapping column → JSON value, in column-name order.
func bindAll(t *table, m map[string]json.RawMessage) ([]binding, error) {
	out := make([]binding, 0, len(m))
	for _, name := range sortedKeys(m) {
		v, err := bind(t, t.byName[name], m[name])
		if err != nil {
			return nil, err
		}
		out = append(out, binding{t.byName[name], v})
	}
	return out, nil
}

// and joins conditions; "TRUE" for none.
func (q *query) and(bs []binding, cond func(*column, any) string) string {
	if len(bs) == 0 {
		return "TRUE"
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = cond(b.col, b.v)
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

// rowJSON renders the allowed columns of the target table's row as JSON
// text, keyed by column name.
func rowJSON(t *table) string {
	refs := make([]string, len(t.cols))
	for i, col := range t.cols {
		refs[i] = ref(col)
	}
	return "(SELECT row_to_json(r.*) FROM (SELECT " + strings.Join(refs, ", ") + ") r)::text"
}

func needColumns(t *table) error {
	if len(t.cols) == 0 {
		return invalid("the postgres allowlist allows no column of table %s", quote(t.name))
	}
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// collect runs a query whose rows are one JSON text each.
func collect(ctx context.Context, q querier, sql string, args []any) ([]json.RawMessage, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return scanJSON(rows)
}

func scanJSON(rows pgx.Rows) ([]json.RawMessage, error) {
	defer rows.Close()
	out := []json.RawMessage{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, json.RawMessage(s))
	}
	return out, rows.Err()
}

var (
	readWrite = pgx.TxOptions{}
	readOnly  = pgx.TxOptions{AccessMode: pgx.ReadOnly}
)

// retried runs fn again once if it fails with a serialization failure:
// the only failure known to have changed nothing that a retry may fix.
func retried(ctx context.Context, fn func() error) error {
	err := fn()
	if sqlState(err) == "40001" && ctx.Err() == nil {
		err = fn()
	}
	return err
}

// inTx runs fn in a transaction, committed when fn returns nil, retried
// once on a serialization failure.
func (c *Connector) inTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	return retried(ctx, func() error { return pgx.BeginTxFunc(ctx, c.pool, opts, fn) })
}

// read runs one query in a READ ONLY transaction, pipelined in one round
// trip (BEGIN READ ONLY; query; COMMIT), retried once on a serialization
// failure.
func (c *Connector) read(ctx context.Context, sql string, args []any, scan func(pgx.Rows) error) error {
	return retried(ctx, func() error {
		conn, err := c.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		b := &pgx.Batch{}
		b.Queue("BEGIN READ ONLY")
		b.Queue(sql, args...)
		b.Queue("COMMIT")
		br := conn.SendBatch(ctx, b)
		_, err = br.Exec()
		if err == nil {
			var rows pgx.Rows
			if rows, err = br.Query(); err == nil {
				err = scan(rows)
				rows.Close()
			}
		}
		if err == nil {
			_, err = br.Exec()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil && !conn.Conn().IsClosed() && conn.Conn().PgConn().TxStatus() != 'I' {
			// The failed query left the transaction open: end it so the
			// connection can be reused (else the pool drops it).
			conn.Exec(ctx, "ROLLBACK")
		}
		return err
	})
}

// lockClass is the first key of the advisory locks insert_row takes.
const lockClass = 0x656e6163 // "enac"

type insertArgs struct {
	Table    string                     `json:"table"`
	Values   map[string]json.RawMessage `json:"values"`
	UniqueBy []string                   `json:"unique_by"`
}

// insertPlan is a checked insert_row: the table, the natural key and the
// statements that find the row with that key and insert the new one.
type insertPlan struct {
	t       *table
	key     []binding
	covered bool // a unique index covers the key: no advisory lock needed
	find    *query
	findSQL string
	ins     *query
	insSQL  string
	lockKey int32
}

// planInsert checks insert_row's arguments against the allowlist and the
// catalog and settles the natural key (see the package doc).
func (c *Connector) planInsert(ctx context.Context, raw json.RawMessage) (*insertPlan, error) {
	var a insertArgs
	if err := decode(raw, &a); err != nil {
		return nil, err
	}
	if len(a.Values) == 0 {
		return nil, invalid("values must name at least one column")
	}
	names := sortedKeys(a.Values)
	t, err := c.resolve(ctx, a.Table, append(names, a.UniqueBy...)...)
	if err != nil {
		return nil, err
	}
	values, err := bindAll(t, a.Values)
	if err != nil {
		return nil, err
	}
	byName := map[string]binding{}
	for _, b := range values {
		byName[b.col.name] = b
	}
	// The natural key, and whether a unique index makes it race-free.
	var key []binding
	if a.UniqueBy != nil {
		seen := map[string]bool{}
		for _, name := range a.UniqueBy {
			b, ok := byName[name]
			if !ok {
				return nil, invalid("unique_by column %s has no value in values", quote(name))
			}
			if seen[name] {
				return nil, invalid("unique_by names column %s twice", quote(name))
			}
			seen[name] = true
			key = append(key, b)
		}
		if len(key) == 0 {
			return nil, invalid("unique_by must name at least one column")
		}
	} else {
	keys:
		for _, cols := range t.unique {
			for _, name := range cols {
				if b, ok := byName[name]; !ok || b.v == nil {
					continue keys
				}
			}
			for _, name := range cols {
				key = append(key, byName[name])
			}
			break
		}
		if key == nil {
			key = values
		}
	}
	p := &insertPlan{t: t, key: key}
	inKey := map[string]bool{}
	for _, b := range key {
		if b.v != nil {
			inKey[b.col.name] = true
		}
	}
unique:
	for _, cols := range t.unique {
		for _, name := range cols {
			if !inKey[name] {
				continue unique
			}
		}
		p.covered = true
		break
	}

	p.find = &query{}
	p.findSQL = "SELECT " + rowJSON(t) + " FROM " + t.ident + " AS t WHERE " + p.find.and(key, p.find.eq) + " LIMIT 1"
	p.ins = &query{}
	cols := make([]string, len(values))
	params := make([]string, len(values))
	for i, b := range values {
		cols[i] = b.col.ident
		params[i] = p.ins.param(b.v)
	}
	p.insSQL = "INSERT INTO " + t.ident + " AS t (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(params, ", ") + ")"
	if t.table {
		p.insSQL += " ON CONFLICT DO NOTHING"
	}
	p.insSQL += " RETURNING " + rowJSON(t)
	if !p.covered {
		h := fnv.New32a()
		h.Write([]byte(t.name))
		for _, b := range key {
			h.Write([]byte{0})
			h.Write([]byte(b.col.name))
			h.Write([]byte{0})
			if s, ok := b.v.(string); ok {
				h.Write([]byte(s))
			} else {
				h.Write([]byte{1})
			}
		}
		p.lockKey = int32(h.Sum32())
	}
	return p, nil
}

// keyColumns names the natural key's columns, for evidence.
func (p *insertPlan) keyColumns() string {
	names := make([]string, len(p.key))
	for i, b := range p.key {
		names[i] = b.col.name
	}
	return strings.Join(names, ", ")
}

func insertResult(row json.RawMessage, inserted bool) map[string]any {
	affected := 0
	if inserted {
		affected = 1
	}
	return map[string]any{"inserted": inserted, "row": row, "rows_affected": affected}
}

func (c *Connector) insertRow(ctx context.Context, raw json.RawMessage) (any, bool, error) {
	p, err := c.planInsert(ctx, raw)
	if err != nil {
		return nil, false, err
	}
	var (
		row      json.RawMessage
		inserted bool
	)
	// find, insert unless found, and find again when the insert met a
	// conflict. With a unique index on the key each statement may run on
	// its own: ON CONFLICT settles a race. Without one, an advisory lock
	// on the key, held to the end of a transaction, does.
	attempt := func(q querier) error {
		row, inserted = nil, false
		found, err := collect(ctx, q, p.findSQL, p.find.args)
		if err != nil || len(found) > 0 {
			if len(found) > 0 {
				row = found[0]
			}
			return err
		}
		got, err := collect(ctx, q, p.insSQL, p.ins.args)
		if err != nil {
			return err
		}
		if len(got) > 0 {
			row, inserted = got[0], true
			return nil
		}
		// ON CONFLICT DO NOTHING did nothing: a row with the same key
		// came in meanwhile, or the row breaks another unique index.
		if found, err = collect(ctx, q, p.findSQL, p.find.args); err != nil || len(found) > 0 {
			if len(found) > 0 {
				row = found[0]
			}
			return err
		}
		return &hostfns.ConnectorError{Code: hostfns.CodeConflict,
			Message: "table " + quote(p.t.name) + " has no row with this natural key, but another row holds the same value of another unique key"}
	}
	if p.covered {
		err = retried(ctx, func() error { return attempt(c.pool) })
	} else {
		err = c.inTx(ctx, readWrite, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::int4, $2::int4)", int32(lockClass), p.lockKey); err != nil {
				return err
			}
			return attempt(tx)
		})
	}
	if err != nil {
		return nil, false, err
	}
	return insertResult(row, inserted), !inserted, nil
}

// checkInsert runs insert_row's lookup, read-only: a row with the natural
// key is the insert's effect.
func (c *Connector) checkInsert(ctx context.Context, raw json.RawMessage) (hostfns.CheckResult, error) {
	p, err := c.planInsert(ctx, raw)
	if err != nil {
		return hostfns.CheckResult{}, err
	}
	var found []json.RawMessage
	err = c.read(ctx, p.findSQL, p.find.args, func(r pgx.Rows) error {
		var err error
		found, err = scanJSON(r)
		return err
	})
	if err != nil {
		return hostfns.CheckResult{}, err
	}
	what := "table " + quote(p.t.name)
	if len(found) == 0 {
		return hostfns.CheckResult{Evidence: what + " has no row with the natural key (" + p.keyColumns() + ")"}, nil
	}
	return performed(insertResult(found[0], false), what+" has a row with the natural key ("+p.keyColumns()+")")
}

// performed is a CheckResult that found the effect, with the result the
// action answers when it finds it.
func performed(result any, evidence string) (hostfns.CheckResult, error) {
	b, err := json.Marshal(result)
	if err != nil {
		return hostfns.CheckResult{}, err
	}
	return hostfns.CheckResult{Performed: true, Result: b, Evidence: evidence}, nil
}

type updateArgs struct {
	Table  string                     `json:"table"`
	Values map[string]json.RawMessage `json:"values"`
	Where  map[string]json.RawMessage `json:"where"`
}

// updatePlan is a checked update_row and its statements.
type updatePlan struct {
	t *table
	// rest is the where without the columns the values set.
	where, rest []binding
	// pre reads the matched rows, each with whether it holds the values.
	pre    *query
	preSQL string
	// upd changes the matched rows that do not hold the values.
	upd    *query
	updSQL string
	// after reads the rows that look like the update's result: the
	// where's other columns, and the values.
	after    *query
	afterSQL string
}

func (c *Connector) planUpdate(ctx context.Context, raw json.RawMessage) (*updatePlan, error) {
	var a updateArgs
	if err := decode(raw, &a); err != nil {
		return nil, err
	}
	if len(a.Values) == 0 {
		return nil, invalid("values must name at least one column")
	}
	if len(a.Where) == 0 {
		return nil, invalid("where is required: update_row never updates every row")
	}
	t, err := c.resolve(ctx, a.Table, append(sortedKeys(a.Values), sortedKeys(a.Where)...)...)
	if err != nil {
		return nil, err
	}
	values, err := bindAll(t, a.Values)
	if err != nil {
		return nil, err
	}
	where, err := bindAll(t, a.Where)
	if err != nil {
		return nil, err
	}
	rj := rowJSON(t)
	p := &updatePlan{t: t, where: where, pre: &query{}, upd: &query{}, after: &query{}}

	p.preSQL = "SELECT " + p.pre.and(values, p.pre.same) + ", " + rj + " FROM " + t.ident + " AS t WHERE " + p.pre.and(where, p.pre.eq) +
		" LIMIT " + p.pre.param(int64(c.maxRows)+1)

	sets := make([]string, len(values))
	for i, b := range values {
		sets[i] = b.col.ident + " = " + p.upd.param(b.v)
	}
	p.updSQL = "UPDATE " + t.ident + " AS t SET " + strings.Join(sets, ", ") + " WHERE " + p.upd.and(where, p.upd.eq) +
		" AND NOT " + p.upd.and(values, p.upd.same) + " RETURNING " + rj

	for _, b := range where {
		if _, set := a.Values[b.col.name]; !set {
			p.rest = append(p.rest, b)
		}
	}
	p.afterSQL = "SELECT " + rj + " FROM " + t.ident + " AS t WHERE " + p.after.and(p.rest, p.after.eq) + " AND " + p.after.and(values, p.after.same) +
		" LIMIT " + p.after.param(int64(c.maxRows))
	return p, nil
}

// lookUpdate is update_row's check-before-act: the matched rows that
// already hold the values, how many rows matched and how many of them do
// not hold the values yet. When nothing matches and the where tests a
// column the values set, rows are those that look like the update's
// result instead.
func (c *Connector) lookUpdate(ctx context.Context, q querier, p *updatePlan) (rows []json.RawMessage, matched, pending int, err error) {
	rows = []json.RawMessage{}
	r, err := q.Query(ctx, p.preSQL, p.pre.args...)
	if err != nil {
		return nil, 0, 0, err
	}
	for r.Next() {
		var holds bool
		var row string
		if err := r.Scan(&holds, &row); err != nil {
			r.Close()
			return nil, 0, 0, err
		}
		matched++
		if holds {
			rows = append(rows, json.RawMessage(row))
		} else {
			pending++
		}
	}
	if err := r.Err(); err != nil {
		return nil, 0, 0, err
	}
	if matched > c.maxRows {
		return nil, 0, 0, c.tooMany("update_row", p.t)
	}
	if matched == 0 && len(p.rest) > 0 && len(p.rest) < len(p.where) {
		if rows, err = collect(ctx, q, p.afterSQL, p.after.args); err != nil {
			return nil, 0, 0, err
		}
	}
	return rows, matched, pending, nil
}

func updateResult(affected int, rows []json.RawMessage) map[string]any {
	return map[string]any{"rows_affected": affected, "rows": rows}
}

func (c *Connector) updateRow(ctx context.Context, raw json.RawMessage) (any, bool, error) {
	p, err := c.planUpdate(ctx, raw)
	if err != nil {
		return nil, false, err
	}
	var (
		rows     []json.RawMessage
		affected int
	)
	err = c.inTx(ctx, readWrite, func(tx pgx.Tx) error {
		affected = 0
		var (
			pending int
			err     error
		)
		rows, _, pending, err = c.lookUpdate(ctx, tx, p)
		if err != nil || pending == 0 {
			return err
		}
		changed, err := collect(ctx, tx, p.updSQL, p.upd.args)
		if err != nil {
			return err
		}
		affected = len(changed)
		rows = append(rows, changed...)
		if len(rows) > c.maxRows { // rows came in between the count and the update
			return c.tooMany("update_row", p.t)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return updateResult(affected, rows), affected == 0 && len(rows) > 0, nil
}

// checkUpdate runs update_row's lookup in a READ ONLY transaction: the
// update has taken effect when update_row would answer already_existed.
func (c *Connector) checkUpdate(ctx context.Context, raw json.RawMessage) (hostfns.CheckResult, error) {
	p, err := c.planUpdate(ctx, raw)
	if err != nil {
		return hostfns.CheckResult{}, err
	}
	var (
		rows             []json.RawMessage
		matched, pending int
	)
	err = c.inTx(ctx, readOnly, func(tx pgx.Tx) error {
		var err error
		rows, matched, pending, err = c.lookUpdate(ctx, tx, p)
		return err
	})
	if err != nil {
		return hostfns.CheckResult{}, err
	}
	what := "table " + quote(p.t.name)
	switch {
	case pending > 0:
		return hostfns.CheckResult{Evidence: fmt.Sprintf("%d of the %s of %s that the where matches do not hold the values", pending, nRows(matched), what)}, nil
	case matched > 0:
		return performed(updateResult(0, rows), fmt.Sprintf("the %s of %s that the where matches hold the values", nRows(matched), what))
	case len(rows) > 0:
		return performed(updateResult(0, rows), fmt.Sprintf("no row of %s matches the where; its columns that the values do not set match %s, which hold the values", what, nRows(len(rows))))
	}
	return hostfns.CheckResult{Evidence: "no row of " + what + " matches the where"}, nil
}

func (c *Connector) tooMany(action string, t *table) error {
	return invalid("%s: the where matches more than %d rows of table %s (the limit); nothing was changed", action, c.maxRows, quote(t.name))
}

type deleteArgs struct {
	Table string                     `json:"table"`
	Where map[string]json.RawMessage `json:"where"`
}

// deletePlan is a checked delete_row and its statements.
type deletePlan struct {
	t *table
	// cnt counts the matched rows, up to one more than MaxRows.
	cnt    *query
	cntSQL string
	del    *query
	delSQL string
}

func (c *Connector) planDelete(ctx context.Context, raw json.RawMessage) (*deletePlan, error) {
	var a deleteArgs
	if err := decode(raw, &a); err != nil {
		return nil, err
	}
	if len(a.Where) == 0 {
		return nil, invalid("where is required: delete_row never deletes every row")
	}
	t, err := c.resolve(ctx, a.Table, sortedKeys(a.Where)...)
	if err != nil {
		return nil, err
	}
	where, err := bindAll(t, a.Where)
	if err != nil {
		return nil, err
	}
	p := &deletePlan{t: t, cnt: &query{}, del: &query{}}
	p.cntSQL = "SELECT count(*) FROM (SELECT FROM " + t.ident + " AS t WHERE " + p.cnt.and(where, p.cnt.eq) + " LIMIT " + p.cnt.param(int64(c.maxRows)+1) + ") s"
	p.delSQL = "DELETE FROM " + t.ident + " AS t WHERE " + p.del.and(where, p.del.eq)
	return p, nil
}

func deleteResult(affected int64) map[string]any { return map[string]any{"rows_affected": affected} }

func (c *Connector) deleteRow(ctx context.Context, raw json.RawMessage) (any, bool, error) {
	p, err := c.planDelete(ctx, raw)
	if err != nil {
		return nil, false, err
	}
	var affected int64
	err = c.inTx(ctx, readWrite, func(tx pgx.Tx) error {
		affected = 0
		var n int64
		if err := tx.QueryRow(ctx, p.cntSQL, p.cnt.args...).Scan(&n); err != nil {
			return err
		}
		if n > int64(c.maxRows) {
			return c.tooMany("delete_row", p.t)
		}
		if n == 0 {
			return nil
		}
		tag, err := tx.Exec(ctx, p.delSQL, p.del.args...)
		if err != nil {
			return err
		}
		if affected = tag.RowsAffected(); affected > int64(c.maxRows) {
			return c.tooMany("delete_row", p.t)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return deleteResult(affected), affected == 0, nil
}

// checkDelete runs delete_row's count, read-only: the delete has taken
// effect when no row matches.
func (c *Connector) checkDelete(ctx context.Context, raw json.RawMessage) (hostfns.CheckResult, error) {
	p, err := c.planDelete(ctx, raw)
	if err != nil {
		return hostfns.CheckResult{}, err
	}
	var n int64
	err = c.read(ctx, p.cntSQL, p.cnt.args, func(r pgx.Rows) error {
		if !r.Next() {
			return r.Err()
		}
		return r.Scan(&n)
	})
	if err != nil {
		return hostfns.CheckResult{}, err
	}
	what := "table " + quote(p.t.name)
	switch {
	case n == 0:
		return performed(deleteResult(0), "no row of "+what+" matches the where")
	case n > int64(c.maxRows):
		return hostfns.CheckResult{Evidence: fmt.Sprintf("the where matches more than %s of %s", nRows(c.maxRows), what)}, nil
	}
	return hostfns.CheckResult{Evidence: fmt.Sprintf("the where matches %s of %s", nRows(int(n)), what)}, nil
}

// nRows is "1 row" or "n rows".
func nRows(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

type selectArgs struct {
	Table   string                     `json:"table"`
	Where   map[string]json.RawMessage `json:"where"`
	Columns []string                   `json:"columns"`
	OrderBy []json.RawMessage          `json:"order_by"`
	Limit   *int                       `json:"limit"`
}

type orderItem struct {
	Column string `json:"column"`
	Desc   bool   `json:"desc"`
}

func (c *Connector) selectRows(ctx context.Context, raw json.RawMessage) (any, error) {
	var a selectArgs
	if err := decode(raw, &a); err != nil {
		return nil, err
	}
	limit := c.maxRows
	if a.Limit != nil {
		if *a.Limit < 1 || *a.Limit > c.maxRows {
			return nil, invalid("limit must be between 1 and %d", c.maxRows)
		}
		limit = *a.Limit
	}
	if a.Columns != nil && len(a.Columns) == 0 {
		return nil, invalid("columns, when given, must name at least one column")
	}
	order := make([]orderItem, 0, len(a.OrderBy))
	for _, o := range a.OrderBy {
		var item orderItem
		if err := json.Unmarshal(o, &item.Column); err != nil {
			if err := decode(o, &item); err != nil {
				return nil, invalid("order_by items are column names or {\"column\": name, \"desc\": bool}")
			}
		}
		order = append(order, item)
	}
	names := sortedKeys(a.Where)
	names = append(names, a.Columns...)
	for _, o := range order {
		names = append(names, o.Column)
	}
	t, err := c.resolve(ctx, a.Table, names...)
	if err != nil {
		return nil, err
	}
	view := t
	if a.Columns != nil {
		v := *t
		v.cols = make([]*column, 0, len(a.Columns))
		seen := map[string]bool{}
		for _, name := range a.Columns {
			if seen[name] {
				return nil, invalid("columns names %s twice", quote(name))
			}
			seen[name] = true
			v.cols = append(v.cols, t.byName[name])
		}
		view = &v
	}
	if err := needColumns(view); err != nil {
		return nil, err
	}
	where, err := bindAll(t, a.Where)
	if err != nil {
		return nil, err
	}
	if len(order) == 0 && len(t.primary) > 0 {
		for _, name := range t.primary {
			if !t.byName[name].allowed {
				order = nil
				break
			}
			order = append(order, orderItem{Column: name})
		}
	}
	q := &query{}
	sql := "SELECT " + rowJSON(view) + " FROM " + t.ident + " AS t WHERE " + q.and(where, q.eq)
	if len(order) > 0 {
		parts := make([]string, len(order))
		for i, o := range order {
			parts[i] = ref(t.byName[o.Column])
			if o.Desc {
				parts[i] += " DESC"
			}
		}
		sql += " ORDER BY " + strings.Join(parts, ", ")
	}
	sql += " LIMIT " + q.param(int64(limit)+1)
	var rows []json.RawMessage
	err = c.read(ctx, sql, q.args, func(r pgx.Rows) error {
		var err error
		rows, err = scanJSON(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	truncated := len(rows) > limit
	if truncated {
		rows = rows[:limit]
	}
	return map[string]any{"rows": rows, "truncated": truncated}, nil
}

type countArgs struct {
	Table string                     `json:"table"`
	Where map[string]json.RawMessage `json:"where"`
}

func (c *Connector) countRows(ctx context.Context, raw json.RawMessage) (any, error) {
	var a countArgs
	if err := decode(raw, &a); err != nil {
		return nil, err
	}
	t, err := c.resolve(ctx, a.Table, sortedKeys(a.Where)...)
	if err != nil {
		return nil, err
	}
	where, err := bindAll(t, a.Where)
	if err != nil {
		return nil, err
	}
	q := &query{}
	sql := "SELECT count(*) FROM " + t.ident + " AS t WHERE " + q.and(where, q.eq)
	var n int64
	err = c.read(ctx, sql, q.args, func(r pgx.Rows) error {
		if !r.Next() {
			return r.Err()
		}
		return r.Scan(&n)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"count": n}, nil
}
