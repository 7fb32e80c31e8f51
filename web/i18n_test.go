package web

import (
	"encoding/json"
	"regexp"
	"sort"
	"testing"
)

// TestTranslationsComplete: every language has every key of English, none empty; every key
// the page names (data-i18n*, t("…") in app.js, method./device. families) exists; and every
// SDK error code has its message.
func TestTranslationsComplete(t *testing.T) {
	nodeBin, _ := node(t)
	out := run(t, ".", nodeBin, "--input-type=module", "-e", `
import { strings, languages } from "./assets/i18n.js";
import { ERROR_CODES } from "./sdk/passkeyd.js";
console.log(JSON.stringify({ strings, languages: Object.keys(languages), codes: ERROR_CODES }));`)
	var got struct {
		Strings   map[string]map[string]string
		Languages []string
		Codes     []string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got.Languages)
	if want := []string{"en", "th", "vi", "zh-Hant"}; len(got.Languages) != 4 || got.Languages[0] != want[0] || got.Languages[1] != want[1] || got.Languages[2] != want[2] || got.Languages[3] != want[3] {
		t.Fatalf("languages %v, want %v", got.Languages, want)
	}
	en := got.Strings["en"]
	for _, lang := range got.Languages {
		tab := got.Strings[lang]
		for k := range en {
			if tab[k] == "" {
				t.Errorf("%s: missing %q", lang, k)
			}
		}
		for k := range tab {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: %q is not an English key", lang, k)
			}
		}
	}
	var used []string
	page, _ := files.ReadFile("index.html")
	for _, m := range regexp.MustCompile(`data-i18n(?:-placeholder|-label|-alt)?="([^"]+)"`).FindAllSubmatch(page, -1) {
		used = append(used, string(m[1]))
	}
	app, _ := files.ReadFile("assets/app.js")
	for _, m := range regexp.MustCompile(`\b(?:t|notice)\("([a-zA-Z]+\.[a-zA-Z_]+)"`).FindAllSubmatch(app, -1) {
		used = append(used, string(m[1]))
	}
	for _, f := range []string{"method.passkey", "method.password", "method.mfa", "method.recovery_code", "device.platform", "device.security_key", "device.hybrid", "device.unknown"} {
		used = append(used, f)
	}
	for _, c := range got.Codes {
		used = append(used, "error."+c)
	}
	if len(used) < 100 {
		t.Fatalf("only %d keys found in use", len(used))
	}
	for _, k := range used {
		if en[k] == "" {
			t.Errorf("key %q is used but not in the table", k)
		}
	}
	// The page has no hard-coded English text: everything visible comes from the table.
	body := regexp.MustCompile(`<title>[^<]*</title>`).ReplaceAll(page, nil)
	if m := regexp.MustCompile(`>[A-Za-z][A-Za-z ,.']{3,}<`).Find(body); m != nil {
		t.Errorf("index.html has text outside the translation table: %s", m)
	}
}

// TestLanguageChoice: navigator.languages / Accept-Language order decides, by exact tag and
// then by primary subtag; any Chinese is Traditional (the only Chinese table).
func TestLanguageChoice(t *testing.T) {
	nodeBin, _ := node(t)
	out := run(t, ".", nodeBin, "--input-type=module", "-e", `
import { pickLanguage } from "./assets/i18n.js";
const cases = [[["th-TH", "en"], "th"], [["zh-TW"], "zh-Hant"], [["zh-HK", "en"], "zh-Hant"], [["fr", "vi-VN"], "vi"], [["de"], "en"], [[], "en"], [["en-GB", "th"], "en"], [["zh-CN", "vi"], "vi"], [["zh-CN"], "zh-Hant"]];
console.log(JSON.stringify(cases.map(([prefs, want]) => [prefs, pickLanguage(prefs), want])));`)
	var cases [][3]any
	if err := json.Unmarshal([]byte(out), &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c[1] != c[2] {
			t.Errorf("pickLanguage(%v) = %v, want %v", c[0], c[1], c[2])
		}
	}
}
