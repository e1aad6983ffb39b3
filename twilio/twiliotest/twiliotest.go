// Package twiliotest is Twilio's REST API on loopback for tests: it
// accepts messages and calls on the documented 2010-04-01 paths with basic
// auth, answers with the documented JSON, lists what it received, and
// signs webhooks the way Twilio does (HMAC-SHA1 of the URL and the sorted
// form fields).
package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Server is the fake API. Configure a client with URL as its API base.
type Server struct {
	URL   string
	SID   string
	Token string

	srv      *httptest.Server
	mu       sync.Mutex
	messages []url.Values
	calls    []url.Values
	notify   chan struct{}
	media    map[string]media // path of the Media resource
	fetched  int
}

type media struct {
	ctype string
	data  []byte
}

// AddMedia serves a file as a media resource of message msgSid and
// returns its URL as an inbound webhook's MediaUrlN names it. Like
// Twilio, the resource (basic auth) redirects to the media store, which
// serves the bytes without auth.
func (s *Server) AddMedia(msgSid, ctype string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.media == nil {
		s.media = map[string]media{}
	}
	p := fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s/Media/ME%030d", s.SID, msgSid, len(s.media)+1)
	s.media[p] = media{ctype, data}
	return s.URL + p
}

// AddRecording serves a call's recording as the account's Recordings
// resource (RecordingSid recSid, MP3).
func (s *Server) AddRecording(recSid string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.media == nil {
		s.media = map[string]media{}
	}
	s.media[fmt.Sprintf("/2010-04-01/Accounts/%s/Recordings/%s.mp3", s.SID, recSid)] = media{"audio/mpeg", data}
}

// MediaFetched is how many media files were downloaded.
func (s *Server) MediaFetched() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetched
}

// Start starts a server for one account.
func Start(sid, token string) *Server {
	s := &Server{SID: sid, Token: token, notify: make(chan struct{}, 100)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/media-store/") { // the redirect's target: no auth
		s.mu.Lock()
		m, ok := s.media[strings.TrimPrefix(r.URL.Path, "/media-store")]
		if ok {
			s.fetched++
		}
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", m.ctype)
		w.Write(m.data)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if u, p, _ := r.BasicAuth(); u != s.SID || p != s.Token {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`)
		return
	}
	base := "/2010-04-01/Accounts/" + s.SID
	now := time.Now().UTC().Format(time.RFC1123Z)
	switch {
	case r.Method == "POST" && r.URL.Path == base+"/Messages.json":
		r.ParseForm()
		if r.PostForm.Get("To") == "" || r.PostForm.Get("Body") == "" {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"code":21604,"message":"A 'To' phone number is required.","status":400}`)
			return
		}
		s.mu.Lock()
		s.messages = append(s.messages, r.PostForm)
		n := len(s.messages)
		s.mu.Unlock()
		s.ping()
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032d", n), "status": "queued", "to": r.PostForm.Get("To"),
			"from": r.PostForm.Get("From"), "body": r.PostForm.Get("Body"), "date_created": now, "num_segments": "1"})
	case r.Method == "POST" && r.URL.Path == base+"/Calls.json":
		r.ParseForm()
		if r.PostForm.Get("To") == "" || (r.PostForm.Get("Twiml") == "" && r.PostForm.Get("Url") == "") {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"code":21205,"message":"Url or Twiml is required.","status":400}`)
			return
		}
		s.mu.Lock()
		s.calls = append(s.calls, r.PostForm)
		n := len(s.calls)
		s.mu.Unlock()
		s.ping()
		w.WriteHeader(201)
		json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("CA%032d", n), "status": "queued", "to": r.PostForm.Get("To"),
			"from": r.PostForm.Get("From"), "date_created": now})
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, base+"/Messages/") && strings.Contains(r.URL.Path, "/Media/"):
		s.mu.Lock()
		_, ok := s.media[r.URL.Path]
		s.mu.Unlock()
		if !ok {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"code":20404,"message":"The requested resource was not found","status":404}`)
			return
		}
		http.Redirect(w, r, "/media-store"+r.URL.Path, http.StatusTemporaryRedirect)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, base+"/Recordings/"):
		s.mu.Lock()
		m, ok := s.media[r.URL.Path]
		if ok {
			s.fetched++
		}
		s.mu.Unlock()
		if !ok {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"code":20404,"message":"The requested resource was not found","status":404}`)
			return
		}
		w.Header().Set("Content-Type", m.ctype)
		w.Write(m.data)
	case r.Method == "GET" && (r.URL.Path == base+"/Messages.json" || r.URL.Path == base+"/Calls.json"):
		key, list := "messages", s.Messages()
		if strings.HasSuffix(r.URL.Path, "/Calls.json") {
			key, list = "calls", s.Calls()
		}
		var out []map[string]string
		for i, m := range list {
			if to := r.URL.Query().Get("To"); to != "" && m.Get("To") != to {
				continue
			}
			out = append(out, map[string]string{"sid": fmt.Sprintf("%s%032d", map[string]string{"messages": "SM", "calls": "CA"}[key], i+1),
				"to": m.Get("To"), "from": m.Get("From"), "body": m.Get("Body"), "date_created": now})
		}
		json.NewEncoder(w).Encode(map[string]any{key: out, "next_page_uri": nil})
	default:
		w.WriteHeader(404)
		fmt.Fprint(w, `{"code":20404,"message":"The requested resource was not found","status":404}`)
	}
}

func (s *Server) ping() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Messages returns the messages sent so far.
func (s *Server) Messages() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.messages...)
}

// Calls returns the calls placed so far.
func (s *Server) Calls() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.calls...)
}

// WaitMessages waits until n messages were sent (or d passed) and
// returns them.
func (s *Server) WaitMessages(n int, d time.Duration) []url.Values {
	deadline := time.After(d)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.notify:
		case <-deadline:
			return s.Messages()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Sign returns X-Twilio-Signature for a request to fullURL with the form
// params, as Twilio computes it: base64(HMAC-SHA1(token, URL + each
// param name and value in name order)).
func Sign(token, fullURL string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(params[k])
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
