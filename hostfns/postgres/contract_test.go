package postgres_test

import (
	"testing"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/connectortest"
	"github.com/enact-run/enact/hostfns/postgres"
)

func TestContract(t *testing.T) {
	connectortest.Run(t, func(t *testing.T) hostfns.Connector {
		c, _ := open(t, postgres.Config{})
		return c
	}, connectortest.Contract{
		Mutations: []connectortest.Call{
			{Action: "insert_row", Args: `{"table": "accounts", "values": {"id": 10, "email": "new@x.io", "plan": "pro", "meta": {"tags": ["a"]}}}`},
			{Action: "insert_row", Args: `{"table": "events", "values": {"ref": "evt-1", "kind": "signup"}, "unique_by": ["ref"]}`},
			{Action: "insert_row", Args: `{"table": "public.events", "values": {"ref": "evt-2", "kind": "x", "payload": {"a": [1, 2]}}}`},
			{Action: "update_row", Args: `{"table": "accounts", "values": {"plan": "pro", "seats": 5}, "where": {"id": 1}}`},
			{Action: "delete_row", Args: `{"table": "accounts", "where": {"id": 2}}`},
		},
		Reads: []connectortest.Call{
			{Action: "select_rows", Args: `{"table": "accounts", "where": {"plan": "pro"}}`},
			{Action: "select_rows", Args: `{"table": "accounts", "columns": ["id", "email"], "order_by": [{"column": "id", "desc": true}], "limit": 2}`},
			{Action: "count_rows", Args: `{"table": "accounts"}`},
			{Action: "count_rows", Args: `{"table": "accounts", "where": {"plan": "free", "seats": null}}`},
		},
	})
}
