// Package pushtest is an in-memory Grafana speaking the part of the HTTP
// API push uses (folders by uid, dashboards by uid, saving dashboards with
// Grafana's version and overwrite rules, Bearer auth), for tests.
package pushtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Grafana is the fake. Its fields are safe to read after the requests are
// done; use the methods while a push runs.
type Grafana struct {
	*httptest.Server

	mu sync.Mutex
	// Token is the service-account token every request must carry;
	// ReadOnlyToken may read but gets 403 on writes.
	token, readOnlyToken string
	folders              map[string]Folder
	boards               map[string]*Board
	nextID               int
	writes               int
	requests             []string
	// fail answers "METHOD path" with a status and body instead of serving.
	fail map[string]failure
	// beforeSave runs before a dashboard is saved (without the lock, so it
	// may call Edit or Put).
	beforeSave func(g *Grafana, uid string)
	// refuse answers every save 412 with a Grafana status (Refuse).
	refuse *refusal
}

type refusal struct {
	status, message string
	overwriteToo    bool
}

// Folder is a stored folder.
type Folder struct {
	ID         int
	UID, Title string
}

// Board is a stored dashboard.
type Board struct {
	ID, Version, FolderID int
	Model                 map[string]any
}

type failure struct {
	status int
	body   string
}

// New starts a Grafana that accepts token.
func New(token string) *Grafana {
	g := &Grafana{token: token, folders: map[string]Folder{}, boards: map[string]*Board{}, nextID: 1, fail: map[string]failure{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/folders/{uid}", g.getFolder)
	mux.HandleFunc("POST /api/folders", g.createFolder)
	mux.HandleFunc("GET /api/dashboards/uid/{uid}", g.getDashboard)
	mux.HandleFunc("POST /api/dashboards/db", g.saveDashboard)
	g.Server = httptest.NewServer(g.serve(mux))
	return g
}

// ReadOnly adds a token that may read but not write.
func (g *Grafana) ReadOnly(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.readOnlyToken = token
}

// Fail makes "METHOD path" answer status with a JSON message.
func (g *Grafana) Fail(methodPath string, status int, message string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	body, _ := json.Marshal(map[string]string{"message": message})
	g.fail[methodPath] = failure{status, string(body)}
}

// Refuse makes dashboard saves answer 412 Precondition Failed with
// Grafana's status (version-mismatch, name-exists, plugin-dashboard) and
// message; saves with overwrite still succeed unless overwriteToo.
func (g *Grafana) Refuse(status, message string, overwriteToo bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refuse = &refusal{status: status, message: message, overwriteToo: overwriteToo}
}

// BeforeSave runs fn before each dashboard save, as another user saving
// at the same moment would.
func (g *Grafana) BeforeSave(fn func(g *Grafana, uid string)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.beforeSave = fn
}

// Put stores a dashboard as Grafana would after a save (a new version),
// as an edit in Grafana's UI or another tool does. folderUID "" is the
// General folder.
func (g *Grafana) Put(model map[string]any, folderUID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.put(model, g.folders[folderUID].ID)
}

// Edit changes a stored dashboard as a save in Grafana's UI does: the
// model changes, unknown fields are kept, the version goes up.
func (g *Grafana) Edit(uid string, fn func(model map[string]any)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.boards[uid]
	fn(b.Model)
	b.Version++
	b.Model["version"] = b.Version
}

// Move puts a stored dashboard into another folder ("" is General).
func (g *Grafana) Move(uid, folderUID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.boards[uid]
	b.FolderID = g.folders[folderUID].ID
	b.Version++
	b.Model["version"] = b.Version
}

// Board returns a copy of a stored dashboard, or false.
func (g *Grafana) Board(uid string) (Board, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.boards[uid]
	if !ok {
		return Board{}, false
	}
	c := *b
	c.Model = clone(b.Model)
	return c, true
}

// Folder returns a stored folder, or false.
func (g *Grafana) Folder(uid string) (Folder, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.folders[uid]
	return f, ok
}

// Writes is the number of folder and dashboard writes through the API.
func (g *Grafana) Writes() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writes
}

// Requests returns "METHOD path" of every request so far and forgets them.
func (g *Grafana) Requests() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.requests
	g.requests = nil
	return r
}

func (g *Grafana) serve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		key := r.Method + " " + r.URL.Path
		g.requests = append(g.requests, key)
		f, failing := g.fail[key]
		token, readOnly := g.token, g.readOnlyToken
		g.mu.Unlock()
		auth := r.Header.Get("Authorization")
		switch {
		case auth != "Bearer "+token && (readOnly == "" || auth != "Bearer "+readOnly):
			answer(w, http.StatusUnauthorized, map[string]any{"message": "Unauthorized"})
		case r.Method != http.MethodGet && readOnly != "" && auth == "Bearer "+readOnly:
			answer(w, http.StatusForbidden, map[string]any{"message": "You'll need additional permissions to perform this action. Permissions needed: dashboards:write"})
		case failing:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.status)
			fmt.Fprint(w, f.body)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (g *Grafana) getFolder(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.folders[r.PathValue("uid")]
	if !ok {
		answer(w, http.StatusNotFound, map[string]any{"message": "folder not found", "status": "not-found"})
		return
	}
	answer(w, http.StatusOK, folderJSON(f))
}

func (g *Grafana) createFolder(w http.ResponseWriter, r *http.Request) {
	var in struct{ UID, Title string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Title == "" {
		answer(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.folders[in.UID]; ok {
		answer(w, http.StatusConflict, map[string]any{"message": "a folder with the same uid already exists"})
		return
	}
	f := Folder{ID: g.nextID, UID: in.UID, Title: in.Title}
	g.nextID++
	g.folders[in.UID] = f
	g.writes++
	answer(w, http.StatusOK, folderJSON(f))
}

func (g *Grafana) getDashboard(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.boards[r.PathValue("uid")]
	if !ok {
		answer(w, http.StatusNotFound, map[string]any{"message": "Dashboard not found"})
		return
	}
	meta := map[string]any{"version": b.Version, "folderId": b.FolderID, "slug": "x", "canSave": true}
	for _, f := range g.folders {
		if f.ID == b.FolderID {
			meta["folderUid"], meta["folderTitle"] = f.UID, f.Title
		}
	}
	answer(w, http.StatusOK, map[string]any{"dashboard": b.Model, "meta": meta})
}

// saveDashboard follows Grafana's rules: a dashboard is found by uid;
// without overwrite, the version sent must be the stored one (412
// version-mismatch otherwise, also when creating over an existing uid).
func (g *Grafana) saveDashboard(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Dashboard map[string]any `json:"dashboard"`
		FolderID  int            `json:"folderId"`
		Overwrite bool           `json:"overwrite"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Dashboard == nil {
		answer(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	uid, _ := in.Dashboard["uid"].(string)
	if uid == "" {
		answer(w, http.StatusBadRequest, map[string]any{"message": "uid missing"})
		return
	}
	g.mu.Lock()
	hook := g.beforeSave
	g.mu.Unlock()
	if hook != nil {
		hook(g, uid)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refuse != nil && (!in.Overwrite || g.refuse.overwriteToo) {
		answer(w, http.StatusPreconditionFailed, map[string]any{"message": g.refuse.message, "status": g.refuse.status})
		return
	}
	if in.FolderID != 0 && !g.folderExists(in.FolderID) {
		answer(w, http.StatusBadRequest, map[string]any{"message": "folder not found", "status": "not-found"})
		return
	}
	if b, ok := g.boards[uid]; ok && !in.Overwrite {
		sent, _ := in.Dashboard["version"].(float64)
		if int(sent) != b.Version {
			answer(w, http.StatusPreconditionFailed, map[string]any{"message": "The dashboard has been changed by someone else", "status": "version-mismatch"})
			return
		}
	}
	b := g.put(in.Dashboard, in.FolderID)
	g.writes++
	answer(w, http.StatusOK, map[string]any{"id": b.ID, "uid": uid, "url": "/d/" + uid + "/x", "status": "success", "version": b.Version, "slug": "x"})
}

func (g *Grafana) folderExists(id int) bool {
	for _, f := range g.folders {
		if f.ID == id {
			return true
		}
	}
	return false
}

// put saves model under its uid with the next version. Callers hold mu.
func (g *Grafana) put(model map[string]any, folderID int) *Board {
	uid, _ := model["uid"].(string)
	b, ok := g.boards[uid]
	if !ok {
		b = &Board{ID: g.nextID}
		g.nextID++
		g.boards[uid] = b
	}
	b.Version++
	b.FolderID = folderID
	b.Model = clone(model)
	b.Model["id"], b.Model["version"] = b.ID, b.Version
	return b
}

func folderJSON(f Folder) map[string]any {
	return map[string]any{"id": f.ID, "uid": f.UID, "title": f.Title, "url": "/dashboards/f/" + f.UID + "/" + strings.ToLower(f.Title), "version": 1}
}

func answer(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// clone deep-copies a JSON model through JSON, as a database would.
func clone(m map[string]any) map[string]any {
	data, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}
