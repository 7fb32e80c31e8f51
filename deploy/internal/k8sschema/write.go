package k8sschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Write puts each schema at its Path below dir. Two kinds that kubeconform's file names
// cannot tell apart (same kind, version and first group label) with different schemas are
// an error rather than a silent overwrite.
func Write(dir string, schemas []Schema) error {
	written := map[string][]byte{}
	for _, s := range schemas {
		b, err := json.Marshal(s.Doc)
		if err != nil {
			return fmt.Errorf("k8sschema: %s %s/%s: %w", s.Kind, s.Group, s.Version, err)
		}
		p := s.Path()
		if prev, ok := written[p]; ok {
			if !bytes.Equal(prev, b) {
				return fmt.Errorf("k8sschema: %s %s/%s and another kind share the file name %s", s.Kind, s.Group, s.Version, p)
			}
			continue
		}
		written[p] = b
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
