//! Parsers for every Dokku output the server reads (being written).
