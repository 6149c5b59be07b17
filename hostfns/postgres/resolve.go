package postgres

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/enact-run/enact/hostfns"
)

// named is what an action's arguments name: its table and every column
// it touches.
type named struct {
	table   string
	columns []string
}

// names decodes an action's arguments (strictly, as the action itself
// does) and lists the names in them.
func names(action string, raw json.RawMessage) (named, error) {
	var n named
	switch action {
	case "insert_row":
		var a insertArgs
		if err := decode(raw, &a); err != nil {
			return n, err
		}
		n = named{a.Table, append(sortedKeys(a.Values), a.UniqueBy...)}
	case "update_row":
		var a updateArgs
		if err := decode(raw, &a); err != nil {
			return n, err
		}
		n = named{a.Table, append(sortedKeys(a.Values), sortedKeys(a.Where)...)}
	case "delete_row":
		var a deleteArgs
		if err := decode(raw, &a); err != nil {
			return n, err
		}
		n = named{a.Table, sortedKeys(a.Where)}
	case "select_rows":
		var a selectArgs
		if err := decode(raw, &a); err != nil {
			return n, err
		}
		n = named{a.Table, append(sortedKeys(a.Where), a.Columns...)}
		for _, o := range a.OrderBy {
			var item orderItem
			if err := json.Unmarshal(o, &item.Column); err != nil {
				if err := decode(o, &item); err != nil {
					return n, invalid("order_by items are column names or {\"column\": name, \"desc\": bool}")
				}
			}
			n.columns = append(n.columns, item.Column)
		}
	case "count_rows":
		var a countArgs
		if err := decode(raw, &a); err != nil {
			return n, err
		}
		n = named{a.Table, sortedKeys(a.Where)}
	default:
		return n, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no action postgres." + quoteBare(action)}
	}
	slices.Sort(n.columns)
	n.columns = slices.Compact(n.columns)
	return n, nil
}

// Resolve implements hostfns.Resolver. It finds the table the arguments
// name in the catalog, through the same checks as Call (schemas,
// allowlist, columns), and answers:
//
//   - Args: the arguments with table in its canonical spelling: the bare
//     name for a table of the default schema (audit_log), schema.name
//     otherwise (sales.orders), each part quoted only when it must be
//     ("Audit Log", sales."Q1"). Every spelling of one table gives the
//     same text, and no two tables give the same one.
//   - Target: {"table": the canonical qualified name (public.audit_log),
//     "schema" and "name": the schema's and the table's names exactly as
//     the catalog has them, "columns": the columns the arguments name,
//     sorted, each as the catalog has it}.
func (c *Connector) Resolve(ctx context.Context, action string, args json.RawMessage) (hostfns.Resolved, error) {
	n, err := names(action, args)
	if err != nil {
		return hostfns.Resolved{}, c.classify(ctx, err)
	}
	t, err := c.resolve(ctx, n.table, n.columns...)
	if err != nil {
		return hostfns.Resolved{}, c.classify(ctx, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(args, &m); err != nil {
		return hostfns.Resolved{}, invalid("arguments: %v", err)
	}
	spelling := quoteIdent(t.rel)
	if t.schema != c.defaultSchema {
		spelling = t.name
	}
	m["table"], _ = json.Marshal(spelling)
	out, err := json.Marshal(m)
	if err != nil {
		return hostfns.Resolved{}, invalid("arguments: %v", err)
	}
	cols := make([]any, len(n.columns))
	for i, col := range n.columns {
		cols[i] = col
	}
	return hostfns.Resolved{
		Args:   out,
		Target: map[string]any{"table": t.name, "schema": t.schema, "name": t.rel, "columns": cols},
	}, nil
}

var _ hostfns.Resolver = (*Connector)(nil)
