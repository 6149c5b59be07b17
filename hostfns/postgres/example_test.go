package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/enact-run/enact/hostfns"
	"github.com/enact-run/enact/hostfns/postgres"
)

// The connector is wired by the host with credentials the guest never
// sees; the gate calls it. A retried insert finds the row it made.
func Example() {
	ctx := context.Background()
	c, err := postgres.New(ctx, postgres.Config{
		DSN:    os.Getenv("ENACT_POSTGRES_URL"),
		Tables: map[string][]string{"customers": {"id", "email", "plan"}}, // from the policy file
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	args := json.RawMessage(`{"table": "customers", "values": {"email": "jane@acme.com", "plan": "pro"}, "unique_by": ["email"]}`)
	for range 2 {
		out, err := c.Call(ctx, "insert_row", args, hostfns.CallOptions{})
		if err != nil {
			fmt.Println(err) // a *hostfns.ConnectorError: invalid_args, conflict, unavailable…
			return
		}
		fmt.Printf("%s already_existed=%v\n", out.Result, out.AlreadyExisted)
	}
}
