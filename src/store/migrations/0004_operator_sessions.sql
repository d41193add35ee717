-- panke schema 4: a staff session started with a PIN at a kiosk is bound
-- to that kiosk. Only such a session operates a kiosk; a password session
-- (the back office) never does.
ALTER TABLE sessions ADD COLUMN kiosk_id INTEGER REFERENCES kiosks(id);
