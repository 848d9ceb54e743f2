package store

import (
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestPutGetReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.sqlite")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	k := Key("openai-chat http://x model=m", []byte(`{"prompt":"p"}`))
	if k2 := Key("openai-chat http://x model=n", []byte(`{"prompt":"p"}`)); k2 == k {
		t.Fatal("key ignores the target/model")
	}
	if k3 := Key("openai-chat http://x model=m", []byte(`{"prompt":"q"}`)); k3 == k {
		t.Fatal("key ignores the request")
	}
	if _, ok, err := s.Get(k); ok || err != nil {
		t.Fatalf("empty store: ok %v err %v", ok, err)
	}
	want := Record{Key: k, Target: "t", Suite: "ruler", Task: "vt", Cell: "vt", Length: 4096, Index: 3,
		Request: []byte(`{"prompt":"p"}`), Response: []byte(`{"choices":[]}`), Text: "ABCDE", Golds: []string{"ABCDE"},
		Metric: "string_match_all", Score: 1, PromptTokens: 4000, CompletionTokens: 3, FittedTokens: 3990,
		Duration: 1500 * time.Millisecond, Created: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	if err := s.Put(want); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, ok, err := s.Get(k)
	if err != nil || !ok {
		t.Fatalf("after reopen: ok %v err %v", ok, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	want.Score = 0 // replace, not duplicate
	if err := s.Put(want); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(); n != 1 {
		t.Errorf("count %d after replace", n)
	}
}

func TestConcurrentPuts(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if err := s.Put(Record{Key: Key("t", []byte{byte(i)}), Golds: []string{}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n, _ := s.Count(); n != 40 {
		t.Errorf("count %d, want 40", n)
	}
}

func TestOpenBadPath(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "dir", "r.sqlite")); err == nil {
		t.Error("opened a database in a missing directory")
	}
}
