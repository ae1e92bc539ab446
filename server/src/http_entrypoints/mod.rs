//! The HTTP entry points: `impl DokkuProApi`. Each method is a few lines: it runs [`op`] (which
//! authenticates and builds the [`OpContext`](crate::context::OpContext)), parses the path
//! parameters into typed identifiers, unpacks the body with [`data`], calls the app function
//! named after the operation, and wraps the result in the seed's response envelope. Nothing else
//! happens here: statuses are chosen in `crate::error`, decisions in the app layer.

mod event_stream;

use std::sync::Arc;

use dokku_pro_api::auth::{BasicOrBearerAuth, BearerAuth};
use dokku_pro_api::body::OptionalBody;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::headers::ContentLocationHeader;
use dokku_pro_api::models::{
    self, GetHealthResponse, Health, HealthAttributes, HealthAttributesStatus, HealthType,
};
use dokku_pro_api::responses::{self, HttpResponseAcceptedNoContent, TokenResponse};
use dokku_pro_api::{DokkuProApi, dokku_pro_api_mod, params, qs};
use dropshot::{
    ApiDescription, HttpResponseAccepted, HttpResponseCreated, HttpResponseDeleted,
    HttpResponseHeaders, HttpResponseOk, HttpResponseUpdatedNoContent, Path, RequestContext,
    TypedBody,
};
use serde_json::{Map, Value};

use crate::app::resources::parse_resource_id;
use crate::app::selectable::{BUILDERS, SCHEDULERS};
use crate::app::{
    apps, builders, buildpacks, datastores, domains, envs, formations, http_auth, maintenance,
    queue_jobs, resources, schedulers, services, ssh_keys,
};
use crate::auth::LoginRequest;
use crate::context::{ApiContext, client_addr, op};
use crate::ids::{
    AllowedIp, AppName, BuildpackUrl, DomainName, EnvKey, Fingerprint, HttpAuthUsername, Invalid,
    ProcessType, ServiceId, app_scoped,
};
use crate::jobs::Enqueued;

/// The implementation of the generated trait (never instantiated: dropshot calls the functions).
pub enum DokkuProApiImpl {}

/// The API description the server registers.
pub fn api() -> ApiDescription<Arc<ApiContext>> {
    dokku_pro_api_mod::api_description::<DokkuProApiImpl>()
        .expect("the generated API trait registers with dropshot")
}

type Rq = RequestContext<Arc<ApiContext>>;
type Accepted<T> = HttpResponseHeaders<HttpResponseAccepted<T>, ContentLocationHeader>;
type AcceptedNoContent = HttpResponseHeaders<HttpResponseAcceptedNoContent, ContentLocationHeader>;

/// The `202` of a POST that queued a job: the object as set, and the job in `Content-Location`.
fn accepted<T: responses::ResponseBody>(body: T, job: &Enqueued) -> Accepted<T> {
    responses::accepted(body, job.content_location())
}

/// The `202` of a DELETE that queued a job: no body, the job in `Content-Location`.
fn accepted_no_content(job: &Enqueued) -> AcceptedNoContent {
    responses::accepted_no_content(job.content_location())
}

/// The request bodies whose `data` is one object.
trait RequestData {
    type Data;
    fn into_data(self) -> Option<Self::Data>;
}

macro_rules! request_data {
    ($($body:ident => $data:ident),* $(,)?) => {
        $(impl RequestData for models::$body {
            type Data = models::$data;
            fn into_data(self) -> Option<models::$data> {
                self.data
            }
        })*
    };
}

request_data!(
    AddAppBody => App, UpdateAppBody => App, AddBuildpackBody => Buildpack,
    AddDomainBody => Domain, AddEnvBody => Env, AddFormationBody => Formation,
    AddHttpAuthIpBody => HttpAuthIp, AddHttpAuthUserBody => HttpAuthUser,
    UpdateHttpAuthUserBody => HttpAuthUser, UpdateHttpAuthsBody => HttpAuth,
    UpdateMaintenancesBody => Maintenance, AddResourceBody => Resource,
    AddServiceBody => ServiceCreate, AddSshKeyBody => SshKey,
    UpdateBuilderSettingsBody => BuilderSetting, UpdateSchedulerSettingsBody => SchedulerSetting,
);

/// Every request body's `data`, unpacked in one place: a body without it is the same 400 for
/// every operation.
fn data<B>(body: TypedBody<B>) -> Result<B::Data, Invalid>
where
    B: RequestData + schemars::JsonSchema + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    body.into_inner().into_data().ok_or_else(|| {
        Invalid(
            "the body needs `data`: the object to create or change, as \
             {\"data\":{\"type\":…,\"attributes\":{…}}}"
                .into(),
        )
    })
}

impl DokkuProApi for DokkuProApiImpl {
    type Context = Arc<ApiContext>;

    // Public reads and authentication: no bearer token.

    async fn get_health(rqctx: Rq) -> Result<HttpResponseOk<GetHealthResponse>, ApiError> {
        let host = &rqctx.context().host;
        let status = if host.reachable().await {
            HealthAttributesStatus::Ok
        } else {
            HealthAttributesStatus::Degraded
        };
        Ok(HttpResponseOk(GetHealthResponse {
            data: Health {
                id: Some("server".into()),
                type_: Some(HealthType::Health),
                attributes: Some(HealthAttributes {
                    status: Some(status),
                    server_version: Some(env!("CARGO_PKG_VERSION").into()),
                    dokku_host: Some(host.kind().into()),
                    dokku_version: Some(host.version().to_string()),
                }),
            },
        }))
    }

    async fn get_metrics(rqctx: Rq) -> Result<responses::HttpResponsePrometheus, ApiError> {
        let host = &rqctx.context().host;
        Ok(responses::HttpResponsePrometheus(crate::metrics::render(host).await))
    }

    async fn get_open_api_document(
        rqctx: Rq,
    ) -> Result<HttpResponseOk<Map<String, Value>>, ApiError> {
        Ok(HttpResponseOk(rqctx.context().openapi.as_ref().clone()))
    }

    async fn login(
        rqctx: Rq,
        auth: BasicOrBearerAuth,
        body: OptionalBody<models::LoginBody>,
    ) -> Result<HttpResponseCreated<TokenResponse>, ApiError> {
        let request = LoginRequest::from_body(body.into_inner())?;
        let client = client_addr(&rqctx).ip();
        let token = rqctx.context().auth.login(client, &auth.0, request).await?;
        Ok(HttpResponseCreated(TokenResponse::new(token)))
    }

    async fn logout(
        rqctx: Rq,
        path: Path<params::LogoutPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        rqctx.context().auth.logout(&path.into_inner().token_id).await?;
        Ok(HttpResponseDeleted())
    }

    // Apps.

    async fn get_apps(
        rqctx: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetAppsResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = apps::get_apps(o).await?;
            Ok(HttpResponseOk(models::GetAppsResponse { data }))
        })
        .await
    }

    async fn get_app_by_id(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetAppByIdPath>,
    ) -> Result<HttpResponseOk<models::GetAppByIdResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = apps::get_app_by_id(o, &app).await?;
            Ok(HttpResponseOk(models::GetAppByIdResponse { data }))
        })
        .await
    }

    async fn add_app(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddAppBody>,
    ) -> Result<HttpResponseCreated<models::AddAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = apps::add_app(o, data(body)?).await?;
            Ok(HttpResponseCreated(models::AddAppResponse { data }))
        })
        .await
    }

    async fn update_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateAppPath>,
        body: TypedBody<models::UpdateAppBody>,
    ) -> Result<HttpResponseOk<models::UpdateAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = apps::update_app(o, &app, data(body)?).await?;
            Ok(HttpResponseOk(models::UpdateAppResponse { data }))
        })
        .await
    }

    async fn delete_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteAppPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rqctx, auth, async |o| {
            apps::delete_app(o, &AppName::parse(&path.into_inner().app_id)?).await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    // Builders.

    async fn get_builders(
        rqctx: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetBuildersResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = builders::get_builders(o).await?;
            Ok(HttpResponseOk(models::GetBuildersResponse { data }))
        })
        .await
    }

    async fn get_builder_by_id(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetBuilderByIdPath>,
    ) -> Result<HttpResponseOk<models::GetBuilderByIdResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let name = BUILDERS.parse_name(&path.into_inner().builder_id)?;
            let data = builders::get_builder_by_id(o, &name).await?;
            Ok(HttpResponseOk(models::GetBuilderByIdResponse { data }))
        })
        .await
    }

    async fn get_builder_settings_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetBuilderSettingsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetBuilderSettingsForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = builders::get_builder_settings_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetBuilderSettingsForAppResponse { data }))
        })
        .await
    }

    async fn update_builder_settings(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateBuilderSettingsPath>,
        body: TypedBody<models::UpdateBuilderSettingsBody>,
    ) -> Result<HttpResponseOk<models::UpdateBuilderSettingsResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = builders::update_builder_settings(o, &app, data(body)?).await?;
            Ok(HttpResponseOk(models::UpdateBuilderSettingsResponse { data }))
        })
        .await
    }

    // Buildpacks.

    async fn get_buildpacks_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetBuildpacksForAppPath>,
    ) -> Result<HttpResponseOk<models::GetBuildpacksForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = buildpacks::get_buildpacks_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetBuildpacksForAppResponse { data }))
        })
        .await
    }

    async fn add_buildpack(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddBuildpackBody>,
    ) -> Result<Accepted<models::AddBuildpackResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let (data, job) = buildpacks::add_buildpack(o, data(body)?).await?;
            Ok(accepted(models::AddBuildpackResponse { data }, &job))
        })
        .await
    }

    async fn delete_buildpack(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteBuildpackPath>,
    ) -> Result<AcceptedNoContent, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = path.into_inner().buildpack_id;
            let (app, buildpack) = app_scoped(&id, "buildpack", BuildpackUrl::parse)?;
            Ok(accepted_no_content(&buildpacks::delete_buildpack(o, &app, &buildpack).await?))
        })
        .await
    }

    // Datastores and services.

    async fn get_datastores(
        rqctx: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetDatastoresResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = datastores::get_datastores(o).await?;
            Ok(HttpResponseOk(models::GetDatastoresResponse { data }))
        })
        .await
    }

    async fn get_services(
        rqctx: Rq,
        auth: BearerAuth,
        query: qs::FormQuery<params::GetServicesQuery>,
    ) -> Result<HttpResponseOk<models::GetServicesResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let fields = query.into_inner().fields;
            let data = services::get_services(o, fields.as_deref()).await?;
            Ok(HttpResponseOk(models::GetServicesResponse { data }))
        })
        .await
    }

    async fn get_service_by_id(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetServiceByIdPath>,
        query: qs::FormQuery<params::GetServiceByIdQuery>,
    ) -> Result<HttpResponseOk<models::GetServiceByIdResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = ServiceId::parse(&path.into_inner().service_name)?;
            let fields = query.into_inner().fields;
            let data = services::get_service_by_id(o, &id, fields.as_deref()).await?;
            Ok(HttpResponseOk(models::GetServiceByIdResponse { data }))
        })
        .await
    }

    async fn add_service(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddServiceBody>,
    ) -> Result<HttpResponseCreated<models::AddServiceResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = services::add_service(o, data(body)?).await?;
            Ok(HttpResponseCreated(models::AddServiceResponse { data }))
        })
        .await
    }

    async fn delete_service(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteServicePath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = ServiceId::parse(&path.into_inner().service_name)?;
            services::delete_service(o, &id).await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    async fn get_services_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetServicesForAppPath>,
        query: qs::FormQuery<params::GetServicesForAppQuery>,
    ) -> Result<HttpResponseOk<models::GetServicesForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let include = query.into_inner().include;
            let data = services::get_services_for_app(o, &app, include.as_deref()).await?;
            Ok(HttpResponseOk(models::GetServicesForAppResponse { data }))
        })
        .await
    }

    async fn link_service_to_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::LinkServiceToAppPath>,
        body: OptionalBody<models::LinkServiceToAppBody>,
    ) -> Result<HttpResponseUpdatedNoContent, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let links = body.into_inner().map(|b| b.data).unwrap_or_default();
            services::link_service_to_app(o, &app, links).await?;
            Ok(HttpResponseUpdatedNoContent())
        })
        .await
    }

    async fn unlink_service_from_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::UnlinkServiceFromAppPath>,
        body: OptionalBody<models::UnlinkServiceFromAppBody>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let links = body.into_inner().map(|b| b.data).unwrap_or_default();
            services::unlink_service_from_app(o, &app, links).await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    // Domains.

    async fn get_domains_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetDomainsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetDomainsForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = domains::get_domains_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetDomainsForAppResponse { data }))
        })
        .await
    }

    async fn add_domain(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddDomainBody>,
    ) -> Result<HttpResponseCreated<models::AddDomainResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = domains::add_domain(o, data(body)?).await?;
            Ok(HttpResponseCreated(models::AddDomainResponse { data }))
        })
        .await
    }

    async fn delete_domain(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteDomainPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = path.into_inner().domain_id;
            let (app, domain) = app_scoped(&id, "domain", DomainName::parse_existing)?;
            domains::delete_domain(o, &app, &domain).await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    // Environment variables.

    async fn get_env_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetEnvForAppPath>,
    ) -> Result<HttpResponseOk<models::GetEnvForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = envs::get_env_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetEnvForAppResponse { data }))
        })
        .await
    }

    async fn add_env(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddEnvBody>,
    ) -> Result<Accepted<models::AddEnvResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let (data, job) = envs::add_env(o, data(body)?).await?;
            Ok(accepted(models::AddEnvResponse { data }, &job))
        })
        .await
    }

    async fn delete_env(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteEnvPath>,
    ) -> Result<AcceptedNoContent, ApiError> {
        op(&rqctx, auth, async |o| {
            let (app, key) = app_scoped(&path.into_inner().env_id, "env", EnvKey::parse)?;
            Ok(accepted_no_content(&envs::delete_env(o, &app, &key).await?))
        })
        .await
    }

    // Formations and resources.

    async fn get_formations_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetFormationsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetFormationsForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = formations::get_formations_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetFormationsForAppResponse { data }))
        })
        .await
    }

    async fn add_formation(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddFormationBody>,
    ) -> Result<Accepted<models::AddFormationResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let (data, job) = formations::add_formation(o, data(body)?).await?;
            Ok(accepted(models::AddFormationResponse { data }, &job))
        })
        .await
    }

    async fn delete_formation(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteFormationPath>,
    ) -> Result<AcceptedNoContent, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = path.into_inner().formation_id;
            let (app, kind) = app_scoped(&id, "formation", ProcessType::parse_scalable)?;
            Ok(accepted_no_content(&formations::delete_formation(o, &app, &kind).await?))
        })
        .await
    }

    async fn get_resources_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetResourcesForAppPath>,
    ) -> Result<HttpResponseOk<models::GetResourcesForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = resources::get_resources_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetResourcesForAppResponse { data }))
        })
        .await
    }

    async fn add_resource(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddResourceBody>,
    ) -> Result<Accepted<models::AddResourceResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let (data, job) = resources::add_resource(o, data(body)?).await?;
            Ok(accepted(models::AddResourceResponse { data }, &job))
        })
        .await
    }

    async fn delete_resource(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteResourcePath>,
    ) -> Result<AcceptedNoContent, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = parse_resource_id(&path.into_inner().resource_id)?;
            Ok(accepted_no_content(&resources::delete_resource(o, &id).await?))
        })
        .await
    }

    // HTTP auth.

    async fn get_http_auth_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetHttpAuthForAppPath>,
    ) -> Result<HttpResponseOk<models::GetHttpAuthForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = http_auth::get_http_auth_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetHttpAuthForAppResponse { data }))
        })
        .await
    }

    async fn update_http_auths(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateHttpAuthsPath>,
        body: TypedBody<models::UpdateHttpAuthsBody>,
    ) -> Result<HttpResponseOk<models::UpdateHttpAuthsResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = http_auth::update_http_auths(o, &app, data(body)?).await?;
            Ok(HttpResponseOk(models::UpdateHttpAuthsResponse { data }))
        })
        .await
    }

    async fn get_http_auth_ips_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetHttpAuthIpsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetHttpAuthIpsForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = http_auth::get_http_auth_ips_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetHttpAuthIpsForAppResponse { data }))
        })
        .await
    }

    async fn add_http_auth_ip(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddHttpAuthIpBody>,
    ) -> Result<HttpResponseCreated<models::AddHttpAuthIpResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = http_auth::add_http_auth_ip(o, data(body)?).await?;
            Ok(HttpResponseCreated(models::AddHttpAuthIpResponse { data }))
        })
        .await
    }

    async fn delete_http_auth_ip(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteHttpAuthIpPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = path.into_inner().http_auth_ip_id;
            let (app, ip) = app_scoped(&id, "ip", AllowedIp::parse)?;
            http_auth::delete_http_auth_ip(o, &app, &ip).await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    async fn get_http_auth_users_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetHttpAuthUsersForAppPath>,
    ) -> Result<HttpResponseOk<models::GetHttpAuthUsersForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = http_auth::get_http_auth_users_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetHttpAuthUsersForAppResponse { data }))
        })
        .await
    }

    async fn add_http_auth_user(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddHttpAuthUserBody>,
    ) -> Result<HttpResponseCreated<models::AddHttpAuthUserResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = http_auth::add_http_auth_user(o, data(body)?).await?;
            Ok(HttpResponseCreated(models::AddHttpAuthUserResponse { data }))
        })
        .await
    }

    async fn update_http_auth_user(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateHttpAuthUserPath>,
        body: TypedBody<models::UpdateHttpAuthUserBody>,
    ) -> Result<HttpResponseOk<models::UpdateHttpAuthUserResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = path.into_inner().http_auth_user_id;
            let (app, user) = app_scoped(&id, "user", HttpAuthUsername::parse)?;
            let data = http_auth::update_http_auth_user(o, &app, &user, data(body)?).await?;
            Ok(HttpResponseOk(models::UpdateHttpAuthUserResponse { data }))
        })
        .await
    }

    async fn delete_http_auth_user(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteHttpAuthUserPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = path.into_inner().http_auth_user_id;
            let (app, user) = app_scoped(&id, "user", HttpAuthUsername::parse)?;
            http_auth::delete_http_auth_user(o, &app, &user).await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }

    // Maintenance.

    async fn get_maintenance_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetMaintenanceForAppPath>,
    ) -> Result<HttpResponseOk<models::GetMaintenanceForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = maintenance::get_maintenance_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetMaintenanceForAppResponse { data }))
        })
        .await
    }

    async fn update_maintenances(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateMaintenancesPath>,
        body: TypedBody<models::UpdateMaintenancesBody>,
    ) -> Result<HttpResponseOk<models::UpdateMaintenancesResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = maintenance::update_maintenances(o, &app, data(body)?).await?;
            Ok(HttpResponseOk(models::UpdateMaintenancesResponse { data }))
        })
        .await
    }

    // Queued background jobs.

    async fn get_queue_job(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetQueueJobPath>,
    ) -> Result<HttpResponseOk<models::GetQueueJobResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = queue_jobs::parse_job_id(&path.into_inner().queue_job_id)?;
            let data = queue_jobs::get_queue_job(o, id).await?;
            Ok(HttpResponseOk(models::GetQueueJobResponse { data }))
        })
        .await
    }

    async fn get_queue_jobs(
        rqctx: Rq,
        auth: BearerAuth,
        query: qs::FormQuery<params::GetQueueJobsQuery>,
    ) -> Result<HttpResponseOk<models::GetQueueJobsResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let (data, links) = queue_jobs::get_queue_jobs(o, query.into_inner()).await?;
            let links = links.next.is_some().then_some(links);
            Ok(HttpResponseOk(models::GetQueueJobsResponse { data, links }))
        })
        .await
    }

    async fn cancel_queue_job(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::CancelQueueJobPath>,
    ) -> Result<HttpResponseOk<models::CancelQueueJobResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = queue_jobs::parse_job_id(&path.into_inner().queue_job_id)?;
            let data = queue_jobs::cancel_queue_job(o, id).await?;
            Ok(HttpResponseOk(models::CancelQueueJobResponse { data }))
        })
        .await
    }

    async fn get_queue_job_output(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetQueueJobOutputPath>,
        request_headers: dropshot::Header<params::GetQueueJobOutputHeaders>,
    ) -> Result<responses::HttpResponseEventStream, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = queue_jobs::parse_job_id(&path.into_inner().queue_job_id)?;
            let last_event_id = request_headers.into_inner().last_event_id;
            let events = queue_jobs::get_queue_job_output(o, id, last_event_id.as_deref()).await?;
            let body = event_stream::EventStreamBody { events, started: false };
            Ok(responses::HttpResponseEventStream(dropshot::Body::wrap(body)))
        })
        .await
    }

    // Schedulers.

    async fn get_schedulers(
        rqctx: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetSchedulersResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = schedulers::get_schedulers(o).await?;
            Ok(HttpResponseOk(models::GetSchedulersResponse { data }))
        })
        .await
    }

    async fn get_scheduler_by_id(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetSchedulerByIdPath>,
    ) -> Result<HttpResponseOk<models::GetSchedulerByIdResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let name = SCHEDULERS.parse_name(&path.into_inner().scheduler_id)?;
            let data = schedulers::get_scheduler_by_id(o, &name).await?;
            Ok(HttpResponseOk(models::GetSchedulerByIdResponse { data }))
        })
        .await
    }

    async fn get_scheduler_settings_for_app(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetSchedulerSettingsForAppPath>,
    ) -> Result<HttpResponseOk<models::GetSchedulerSettingsForAppResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = schedulers::get_scheduler_settings_for_app(o, &app).await?;
            Ok(HttpResponseOk(models::GetSchedulerSettingsForAppResponse { data }))
        })
        .await
    }

    async fn update_scheduler_settings(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::UpdateSchedulerSettingsPath>,
        body: TypedBody<models::UpdateSchedulerSettingsBody>,
    ) -> Result<HttpResponseOk<models::UpdateSchedulerSettingsResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let app = AppName::parse(&path.into_inner().app_id)?;
            let data = schedulers::update_scheduler_settings(o, &app, data(body)?).await?;
            Ok(HttpResponseOk(models::UpdateSchedulerSettingsResponse { data }))
        })
        .await
    }

    // SSH keys.

    async fn get_ssh_keys(
        rqctx: Rq,
        auth: BearerAuth,
    ) -> Result<HttpResponseOk<models::GetSshKeysResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = ssh_keys::get_ssh_keys(o).await?;
            Ok(HttpResponseOk(models::GetSshKeysResponse { data }))
        })
        .await
    }

    async fn get_ssh_key_by_fingerprint_id(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::GetSshKeyByFingerprintIdPath>,
    ) -> Result<HttpResponseOk<models::GetSshKeyByFingerprintIdResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = Fingerprint::parse(&path.into_inner().ssh_key_fingerprint_id)?;
            let data = ssh_keys::get_ssh_key_by_fingerprint_id(o, &id).await?;
            Ok(HttpResponseOk(models::GetSshKeyByFingerprintIdResponse { data }))
        })
        .await
    }

    async fn add_ssh_key(
        rqctx: Rq,
        auth: BearerAuth,
        body: TypedBody<models::AddSshKeyBody>,
    ) -> Result<HttpResponseCreated<models::AddSshKeyResponse>, ApiError> {
        op(&rqctx, auth, async |o| {
            let data = ssh_keys::add_ssh_key(o, data(body)?).await?;
            Ok(HttpResponseCreated(models::AddSshKeyResponse { data }))
        })
        .await
    }

    async fn delete_ssh_key(
        rqctx: Rq,
        auth: BearerAuth,
        path: Path<params::DeleteSshKeyPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        op(&rqctx, auth, async |o| {
            let id = Fingerprint::parse(&path.into_inner().ssh_key_fingerprint_id)?;
            ssh_keys::delete_ssh_key(o, &id).await?;
            Ok(HttpResponseDeleted())
        })
        .await
    }
}
