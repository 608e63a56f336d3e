using DeepEverest.Hosting.Security;

namespace DeepEverest.Services.Tests.Security;

/// <summary>
/// The role every method of the public API needs: a new method appears here, and one whose name
/// says nothing about reading defaults to admin.
/// </summary>
public sealed class AccessPolicyTests
{
    private static readonly string[] _readMethods =
    [
        "/deepeverest.v1.IndexService/ListDatasets",
        "/deepeverest.v1.IndexService/ListModels",
        "/deepeverest.v1.IndexService/ListLayers",
        "/deepeverest.v1.IndexService/ListIndexes",
        "/deepeverest.v1.IndexService/DescribeIndex",
        "/deepeverest.v1.QueryService/TopKSimilar",
        "/deepeverest.v1.QueryService/TopKHighest",
        "/deepeverest.v1.QueryService/TopKShard",
        "/deepeverest.v1.QueryService/GetActivations",
        "/deepeverest.v1.QueryService/GetInput",
    ];

    [Fact]
    public void Required_EveryPublicMethod_ReadForListsDescribesAndQueriesAdminForTheRest()
    {
        var methods = Contracts.V1.IndexService.Descriptor.Methods.Concat(Contracts.V1.QueryService.Descriptor.Methods)
            .Select(m => $"/{m.Service.FullName}/{m.Name}")
            .ToList();

        var read = methods.Where(m => AccessPolicy.Required(m) == ApiKeyRole.Read).Order().ToList();
        var admin = methods.Where(m => AccessPolicy.Required(m) == ApiKeyRole.Admin).ToList();

        Assert.Equal(_readMethods.Order(), read);
        Assert.Equal(methods.Count, read.Count + admin.Count);
        foreach (string name in new[] { "ImportDataset", "AddModel", "UploadModel", "BuildIndex", "MaterializeLayer", "DeleteIndex" })
        {
            Assert.Equal(ApiKeyRole.Admin, AccessPolicy.Required("/deepeverest.v1.IndexService/" + name));
        }
    }

    [Theory]
    [InlineData("/grpc.health.v1.Health/Check", null)]
    [InlineData("/grpc.health.v1.Health/Watch", null)]
    [InlineData("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", ApiKeyRole.Read)]
    [InlineData("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", ApiKeyRole.Read)]
    [InlineData("/deepeverest.v1.IndexService/Listen", ApiKeyRole.Admin)]
    [InlineData("/deepeverest.v1.IndexService/Getaway", ApiKeyRole.Admin)]
    [InlineData("/deepeverest.v1.IndexService/DeleteDataset", ApiKeyRole.Admin)]
    [InlineData("/deepeverest.v2.IndexService/ListModels", ApiKeyRole.Admin)]
    [InlineData("/other.Service/Anything", ApiKeyRole.Admin)]
    [InlineData("garbage", ApiKeyRole.Admin)]
    public void Required_OtherMethods_HealthOpenUnknownAdmin(string method, ApiKeyRole? expected)
    {
        Assert.Equal(expected, AccessPolicy.Required(method));
    }
}
