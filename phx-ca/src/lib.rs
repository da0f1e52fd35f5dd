//! phx-ca: certificates (Step-CA, trust, Traefik ACME). Not implemented yet.
