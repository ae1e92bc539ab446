//! The HTTP entry points: `impl DokkuProApi`. Each handler authenticates, calls one function of
//! the app layer and wraps the result. Operations not implemented yet authenticate like the
//! rest, then answer 501 in the error envelope; `tests/output/unimplemented-operations.txt`
//! lists them.

use std::sync::Arc;

use dokku_pro_api::auth::{BasicOrBearerAuth, BearerAuth};
use dokku_pro_api::body::OptionalBody;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::models::{
    GetHealthResponse, Health, HealthAttributes, HealthAttributesStatus, HealthType,
};
use dokku_pro_api::responses::{self, TokenResponse};
use dokku_pro_api::{DokkuProApi, dokku_pro_api_mod, headers, models, params, qs};
use dropshot::{
    ApiDescription, HttpResponseCreated, HttpResponseDeleted, HttpResponseOk, RequestContext,
};
use serde_json::{Map, Value};

use crate::auth::LoginRequest;
use crate::context::{ApiContext, client_addr};

/// The implementation of the generated trait (never instantiated: dropshot calls the functions).
pub enum DokkuProApiImpl {}

/// The API description the server registers.
pub fn api() -> ApiDescription<Arc<ApiContext>> {
    dokku_pro_api_mod::api_description::<DokkuProApiImpl>()
        .expect("the generated API trait registers with dropshot")
}

/// An operation whose issue has not landed: authenticated like any other, then 501.
async fn not_implemented<T>(
    rqctx: &RequestContext<Arc<ApiContext>>,
    auth: &BearerAuth,
    operation_id: &str,
) -> Result<T, ApiError> {
    rqctx.context().authenticate(&auth.0).await?;
    Err(ApiError::not_implemented(operation_id))
}

impl DokkuProApi for DokkuProApiImpl {
    type Context = Arc<ApiContext>;

    async fn get_health(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<GetHealthResponse>, ApiError> {
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

    async fn get_open_api_document(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Map<String, Value>>, ApiError> {
        Ok(HttpResponseOk(rqctx.context().openapi.as_ref().clone()))
    }

    async fn login(
        rqctx: RequestContext<Self::Context>,
        auth: BasicOrBearerAuth,
        body: OptionalBody<models::LoginBody>,
    ) -> Result<HttpResponseCreated<TokenResponse>, ApiError> {
        let request = LoginRequest::from_body(body.into_inner())?;
        let client = client_addr(&rqctx).ip();
        let token = rqctx.context().auth.login(client, &auth.0, request).await?;
        Ok(HttpResponseCreated(TokenResponse::new(token)))
    }

    async fn logout(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<params::LogoutPath>,
    ) -> Result<HttpResponseDeleted, ApiError> {
        rqctx.context().auth.logout(&path.into_inner().token_id).await?;
        Ok(HttpResponseDeleted())
    }

    async fn get_builder_settings_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetBuilderSettingsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetBuilderSettingsForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getBuilderSettingsForApp").await
    }

    async fn get_buildpacks_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetBuildpacksForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetBuildpacksForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getBuildpacksForApp").await
    }

    async fn get_domains_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetDomainsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetDomainsForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getDomainsForApp").await
    }

    async fn get_env_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetEnvForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetEnvForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getEnvForApp").await
    }

    async fn get_formations_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetFormationsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetFormationsForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getFormationsForApp").await
    }

    async fn get_http_auth_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetHttpAuthForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetHttpAuthForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getHTTPAuthForApp").await
    }

    async fn get_http_auth_ips_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetHttpAuthIpsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetHttpAuthIpsForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getHTTPAuthIPsForApp").await
    }

    async fn get_http_auth_users_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetHttpAuthUsersForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetHttpAuthUsersForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getHTTPAuthUsersForApp").await
    }

    async fn get_maintenance_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetMaintenanceForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetMaintenanceForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getMaintenanceForApp").await
    }

    async fn link_service_to_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::LinkServiceToAppPath>,
        _body: OptionalBody<models::LinkServiceToAppBody>,
    ) -> Result<dropshot::HttpResponseUpdatedNoContent, ApiError> {
        not_implemented(&rqctx, &auth, "linkServiceToApp").await
    }

    async fn unlink_service_from_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::UnlinkServiceFromAppPath>,
        _body: OptionalBody<models::UnlinkServiceFromAppBody>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        not_implemented(&rqctx, &auth, "unlinkServiceFromApp").await
    }

    async fn get_resources_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetResourcesForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetResourcesForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getResourcesForApp").await
    }

    async fn get_scheduler_settings_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetSchedulerSettingsForAppPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetSchedulerSettingsForAppResponse>, ApiError>
    {
        not_implemented(&rqctx, &auth, "getSchedulerSettingsForApp").await
    }

    async fn get_services_for_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetServicesForAppPath>,
        _query: qs::FormQuery<params::GetServicesForAppQuery>,
    ) -> Result<dropshot::HttpResponseOk<models::GetServicesForAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getServicesForApp").await
    }

    async fn get_app_by_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetAppByIdPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetAppByIdResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getAppById").await
    }

    async fn update_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::UpdateAppPath>,
        _body: dropshot::TypedBody<models::UpdateAppBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "updateApp").await
    }

    async fn delete_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteAppPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        not_implemented(&rqctx, &auth, "deleteApp").await
    }

    async fn get_apps(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetAppsResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getApps").await
    }

    async fn add_app(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddAppBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddAppResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "addApp").await
    }

    async fn update_builder_settings(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::UpdateBuilderSettingsPath>,
        _body: dropshot::TypedBody<models::UpdateBuilderSettingsBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateBuilderSettingsResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "updateBuilderSettings").await
    }

    async fn get_builder_by_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetBuilderByIdPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetBuilderByIdResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getBuilderById").await
    }

    async fn get_builders(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetBuildersResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getBuilders").await
    }

    async fn delete_buildpack(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteBuildpackPath>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            responses::HttpResponseAcceptedNoContent,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        not_implemented(&rqctx, &auth, "deleteBuildpack").await
    }

    async fn add_buildpack(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddBuildpackBody>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            dropshot::HttpResponseAccepted<models::AddBuildpackResponse>,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        not_implemented(&rqctx, &auth, "addBuildpack").await
    }

    async fn get_datastores(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetDatastoresResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getDatastores").await
    }

    async fn delete_domain(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteDomainPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        not_implemented(&rqctx, &auth, "deleteDomain").await
    }

    async fn add_domain(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddDomainBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddDomainResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "addDomain").await
    }

    async fn delete_env(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteEnvPath>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            responses::HttpResponseAcceptedNoContent,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        not_implemented(&rqctx, &auth, "deleteEnv").await
    }

    async fn add_env(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddEnvBody>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            dropshot::HttpResponseAccepted<models::AddEnvResponse>,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        not_implemented(&rqctx, &auth, "addEnv").await
    }

    async fn delete_formation(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteFormationPath>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            responses::HttpResponseAcceptedNoContent,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        not_implemented(&rqctx, &auth, "deleteFormation").await
    }

    async fn add_formation(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddFormationBody>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            dropshot::HttpResponseAccepted<models::AddFormationResponse>,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        not_implemented(&rqctx, &auth, "addFormation").await
    }

    async fn delete_http_auth_ip(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteHttpAuthIpPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        not_implemented(&rqctx, &auth, "deleteHTTPAuthIP").await
    }

    async fn add_http_auth_ip(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddHttpAuthIpBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddHttpAuthIpResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "addHTTPAuthIP").await
    }

    async fn update_http_auth_user(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::UpdateHttpAuthUserPath>,
        _body: dropshot::TypedBody<models::UpdateHttpAuthUserBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateHttpAuthUserResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "updateHTTPAuthUser").await
    }

    async fn delete_http_auth_user(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteHttpAuthUserPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        not_implemented(&rqctx, &auth, "deleteHTTPAuthUser").await
    }

    async fn add_http_auth_user(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddHttpAuthUserBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddHttpAuthUserResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "addHTTPAuthUser").await
    }

    async fn update_http_auths(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::UpdateHttpAuthsPath>,
        _body: dropshot::TypedBody<models::UpdateHttpAuthsBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateHttpAuthsResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "updateHTTPAuths").await
    }

    async fn update_maintenances(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::UpdateMaintenancesPath>,
        _body: dropshot::TypedBody<models::UpdateMaintenancesBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateMaintenancesResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "updateMaintenances").await
    }

    async fn get_queue_job(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetQueueJobPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetQueueJobResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getQueueJob").await
    }

    async fn delete_resource(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteResourcePath>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            responses::HttpResponseAcceptedNoContent,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        not_implemented(&rqctx, &auth, "deleteResource").await
    }

    async fn add_resource(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddResourceBody>,
    ) -> Result<
        dropshot::HttpResponseHeaders<
            dropshot::HttpResponseAccepted<models::AddResourceResponse>,
            headers::ContentLocationHeader,
        >,
        ApiError,
    > {
        not_implemented(&rqctx, &auth, "addResource").await
    }

    async fn update_scheduler_settings(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::UpdateSchedulerSettingsPath>,
        _body: dropshot::TypedBody<models::UpdateSchedulerSettingsBody>,
    ) -> Result<dropshot::HttpResponseOk<models::UpdateSchedulerSettingsResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "updateSchedulerSettings").await
    }

    async fn get_scheduler_by_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetSchedulerByIdPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetSchedulerByIdResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getSchedulerById").await
    }

    async fn get_schedulers(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetSchedulersResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getSchedulers").await
    }

    async fn get_service_by_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetServiceByIdPath>,
        _query: qs::FormQuery<params::GetServiceByIdQuery>,
    ) -> Result<dropshot::HttpResponseOk<models::GetServiceByIdResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getServiceById").await
    }

    async fn delete_service(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteServicePath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        not_implemented(&rqctx, &auth, "deleteService").await
    }

    async fn get_services(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _query: qs::FormQuery<params::GetServicesQuery>,
    ) -> Result<dropshot::HttpResponseOk<models::GetServicesResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getServices").await
    }

    async fn add_service(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddServiceBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddServiceResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "addService").await
    }

    async fn get_ssh_key_by_fingerprint_id(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::GetSshKeyByFingerprintIdPath>,
    ) -> Result<dropshot::HttpResponseOk<models::GetSshKeyByFingerprintIdResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getSSHKeyByFingerprintId").await
    }

    async fn delete_ssh_key(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _path: dropshot::Path<params::DeleteSshKeyPath>,
    ) -> Result<dropshot::HttpResponseDeleted, ApiError> {
        not_implemented(&rqctx, &auth, "deleteSSHKey").await
    }

    async fn get_ssh_keys(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
    ) -> Result<dropshot::HttpResponseOk<models::GetSshKeysResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "getSSHkeys").await
    }

    async fn add_ssh_key(
        rqctx: RequestContext<Self::Context>,
        auth: BearerAuth,
        _body: dropshot::TypedBody<models::AddSshKeyBody>,
    ) -> Result<dropshot::HttpResponseCreated<models::AddSshKeyResponse>, ApiError> {
        not_implemented(&rqctx, &auth, "addSSHKey").await
    }
}
