package enact_test

import (
	"testing"

	"github.com/enact-run/enact/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
