-- Device and country targeting per link: an iOS URL, an Android URL, and a JSON object of
-- ISO 3166-1 alpha-2 country code → URL.
ALTER TABLE links ADD COLUMN ios_url TEXT;
ALTER TABLE links ADD COLUMN android_url TEXT;
ALTER TABLE links ADD COLUMN geo_targets TEXT;
