//! The `middleware` section of an `OlaresManifest.yaml`: what the hydrator turns into the
//! `postgres`, `redis`, `mongodb`, `minio`, … values of a render (DESIGN.md §4.3).

use serde::{Deserialize, Serialize};

use super::{Extra, UnknownFields, is_default, join, nullable, unknown_keys};
use crate::go_string::{go_string, go_strings};

/// The `middleware` section: databases and services Olares creates for the app.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Middleware {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PostgresConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mongodb: Option<DatabaseConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minio: Option<MinioConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rabbitmq: Option<RabbitMqConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elasticsearch: Option<ElasticsearchConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mariadb: Option<DatabaseConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mysql: Option<DatabaseConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argo: Option<ArgoConfig>,
    #[serde(rename = "clickHouse", skip_serializing_if = "Option::is_none")]
    pub click_house: Option<DatabaseConfig>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// PostgreSQL databases.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PostgresConfig {
    #[serde(deserialize_with = "go_string")]
    pub username: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub password: String,
    #[serde(deserialize_with = "nullable")]
    pub databases: Vec<Database>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Databases of MongoDB, MySQL, MariaDB or ClickHouse.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct DatabaseConfig {
    #[serde(deserialize_with = "go_string")]
    pub username: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub password: String,
    #[serde(deserialize_with = "nullable")]
    pub databases: Vec<Database>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One database.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Database {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<String>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub distributed: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Redis namespace.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RedisConfig {
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub password: String,
    #[serde(deserialize_with = "go_string")]
    pub namespace: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// MinIO buckets.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct MinioConfig {
    #[serde(deserialize_with = "go_string")]
    pub username: String,
    #[serde(deserialize_with = "go_string")]
    pub password: String,
    #[serde(deserialize_with = "nullable")]
    pub buckets: Vec<Named>,
    #[serde(rename = "allowNamespaceBuckets", deserialize_with = "nullable")]
    pub allow_namespace_buckets: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// RabbitMQ virtual hosts.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct RabbitMqConfig {
    #[serde(deserialize_with = "go_string")]
    pub username: String,
    #[serde(deserialize_with = "go_string")]
    pub password: String,
    #[serde(deserialize_with = "nullable")]
    pub vhosts: Vec<Named>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Elasticsearch indexes.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ElasticsearchConfig {
    #[serde(deserialize_with = "go_string")]
    pub username: String,
    #[serde(deserialize_with = "go_string")]
    pub password: String,
    #[serde(deserialize_with = "nullable")]
    pub indexes: Vec<Named>,
    #[serde(rename = "allowNamespaceIndexes", deserialize_with = "nullable")]
    pub allow_namespace_indexes: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Argo workflows.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ArgoConfig {
    #[serde(deserialize_with = "nullable")]
    pub required: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A bucket, virtual host or index, by name.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Named {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

impl UnknownFields for Middleware {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.postgres
            .unknown_fields_into(&join(at, "postgres"), out);
        self.redis.unknown_fields_into(&join(at, "redis"), out);
        self.mongodb.unknown_fields_into(&join(at, "mongodb"), out);
        self.minio.unknown_fields_into(&join(at, "minio"), out);
        self.rabbitmq
            .unknown_fields_into(&join(at, "rabbitmq"), out);
        self.elasticsearch
            .unknown_fields_into(&join(at, "elasticsearch"), out);
        self.mariadb.unknown_fields_into(&join(at, "mariadb"), out);
        self.mysql.unknown_fields_into(&join(at, "mysql"), out);
        self.argo.unknown_fields_into(&join(at, "argo"), out);
        self.click_house
            .unknown_fields_into(&join(at, "clickHouse"), out);
    }
}

impl UnknownFields for PostgresConfig {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.databases
            .unknown_fields_into(&join(at, "databases"), out);
    }
}

impl UnknownFields for DatabaseConfig {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.databases
            .unknown_fields_into(&join(at, "databases"), out);
    }
}

impl UnknownFields for Database {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for RedisConfig {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for MinioConfig {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.buckets.unknown_fields_into(&join(at, "buckets"), out);
    }
}

impl UnknownFields for RabbitMqConfig {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.vhosts.unknown_fields_into(&join(at, "vhosts"), out);
    }
}

impl UnknownFields for ElasticsearchConfig {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.indexes.unknown_fields_into(&join(at, "indexes"), out);
    }
}

impl UnknownFields for ArgoConfig {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for Named {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}
