package lazyre_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/enact-run/enact/internal/lazyre"
)

func TestRegexpMatchesAsRegexpDoes(t *testing.T) {
	t.Parallel()
	const expr = `^([a-z]+)-([0-9]{1,3})$`
	lazy, eager := lazyre.New(expr), regexp.MustCompile(expr)
	if lazy.String() != expr {
		t.Fatalf("String() = %q before compiling, want %q", lazy.String(), expr)
	}
	for _, s := range []string{"abc-12", "abc-1234", "ABC-1", "x-0", ""} {
		if got, want := lazy.MatchString(s), eager.MatchString(s); got != want {
			t.Errorf("MatchString(%q) = %v, want %v", s, got, want)
		}
		if got, want := lazy.Match([]byte(s)), eager.Match([]byte(s)); got != want {
			t.Errorf("Match(%q) = %v, want %v", s, got, want)
		}
		if got, want := strings.Join(lazy.FindStringSubmatch(s), "|"), strings.Join(eager.FindStringSubmatch(s), "|"); got != want {
			t.Errorf("FindStringSubmatch(%q) = %q, want %q", s, got, want)
		}
	}
	words := lazyre.New(`[a-z]+`)
	if got := words.ReplaceAllStringFunc("ab 12 cd", strings.ToUpper); got != "AB 12 CD" {
		t.Errorf("ReplaceAllStringFunc = %q, want %q", got, "AB 12 CD")
	}
	if got := words.FindAllStringSubmatchIndex("ab 12 cd", -1); len(got) != 2 || got[1][0] != 6 || got[1][1] != 8 {
		t.Errorf("FindAllStringSubmatchIndex = %v, want [[0 2] [6 8]]", got)
	}
	if lazy.Compiled() != lazy.Compiled() {
		t.Error("Compiled() compiled the pattern twice")
	}
}

func TestConcurrentFirstUseCompilesOnce(t *testing.T) {
	t.Parallel()
	r := lazyre.New(`^[0-9]{1,20}$`)
	var wg sync.WaitGroup
	got := make([]*regexp.Regexp, 8)
	for i := range got {
		wg.Go(func() {
			if !r.MatchString("12345") {
				t.Error("12345 did not match")
			}
			got[i] = r.Compiled()
		})
	}
	wg.Wait()
	for i := range got {
		if got[i] != got[0] {
			t.Fatalf("goroutine %d saw a different compiled expression", i)
		}
	}
}

func TestBadPatternPanicsOnFirstUseNotBefore(t *testing.T) {
	t.Parallel()
	r := lazyre.New(`([a-z]`) // New must not compile
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "missing closing )") {
			t.Fatalf("first use of a bad pattern: recovered %v, want regexp's missing-paren panic", p)
		}
	}()
	r.MatchString("a")
}

// moduleFiles parses every Go file of the module (tests included: their
// patterns must compile too) and calls visit for each.
func moduleFiles(t *testing.T, visit func(path string, f *ast.File, fset *token.FileSet)) {
	t.Helper()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() && path == filepath.Join(root, "internal", "lazyre") {
			return filepath.SkipDir // this test's own deliberate bad patterns
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Contains(src, []byte("regexp")) && !bytes.Contains(src, []byte("lazyre")) {
			return nil // nothing to look at; spare the parse
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		visit(path, f, fset)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// isCall reports whether e calls pkg.name (by the file's import name).
func isCall(e ast.Node, pkg, name string) (*ast.CallExpr, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return nil, false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return nil, false
	}
	id, ok := sel.X.(*ast.Ident)
	return call, ok && id.Name == pkg
}

// TestEveryPatternInTheModuleCompiles forces every lazy pattern once: a
// typo in one fails here instead of panicking in a user's run.
func TestEveryPatternInTheModuleCompiles(t *testing.T) {
	t.Parallel()
	n := 0
	moduleFiles(t, func(path string, f *ast.File, fset *token.FileSet) {
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := isCall(node, "lazyre", "New")
			if !ok {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: lazyre.New takes a constant string literal, got %T", fset.Position(call.Pos()), call.Args[0])
				return true
			}
			expr, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			if _, err := regexp.Compile(expr); err != nil {
				t.Errorf("%s: pattern %q does not compile: %v", fset.Position(lit.Pos()), expr, err)
			}
			n++
			return true
		})
	})
	if n < 20 {
		t.Errorf("found only %d lazyre.New patterns in the module; the walk missed files", n)
	}
}

// TestNoPatternCompilesAtPackageInit keeps start-up cheap: no package-level
// variable of the module's non-test code is initialised by compiling a
// regular expression (use lazyre.New instead).
func TestNoPatternCompilesAtPackageInit(t *testing.T) {
	t.Parallel()
	moduleFiles(t, func(path string, f *ast.File, fset *token.FileSet) {
		if strings.HasSuffix(path, "_test.go") {
			return
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			invoked := map[*ast.FuncLit]bool{} // var x = func() T { ... }() runs at init
			ast.Inspect(gd, func(node ast.Node) bool {
				if call, ok := node.(*ast.CallExpr); ok {
					if lit, ok := call.Fun.(*ast.FuncLit); ok {
						invoked[lit] = true
					}
				}
				if lit, ok := node.(*ast.FuncLit); ok && !invoked[lit] {
					return false // runs when called, not at init
				}
				for _, name := range []string{"MustCompile", "Compile", "MustCompilePOSIX"} {
					if _, ok := isCall(node, "regexp", name); ok {
						t.Errorf("%s: package-level regexp.%s runs at every process start; use lazyre.New", fset.Position(node.Pos()), name)
					}
				}
				return true
			})
		}
	})
}
